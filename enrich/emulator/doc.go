// Package emulator serves a local, deterministic emulation of Sixtyfour's bulk
// enrichment API over HTTP, for tests and offline runs of crmsync.
//
// Routes:
//
//	POST /bulk-intelligence/people    submit a job (multipart parts file and config)
//	POST /bulk-intelligence/company   submit a job; config.struct is required
//	GET  /job-status/{task_id}        running, then completed or failed
//	GET  /check-balance               {"credits": n}
//	GET  /emulator/files/{task}/{n}   signed download of block n's file
//	GET  /emulator/stats              counters (Stats); not an API route
//
// A job stays running for Options.JobLatency and then completes with two
// result files: block 1 is the upload as received and block 2 the enriched
// file. The enriched file holds every uploaded row and column, one column per
// struct field, confidence_score, notes and references, and one
// FIELD_confidence column per field when field_confidence is set. It is CSV
// unless config.result_formats names json or ndjson first.
//
// Where the API's documentation leaves behaviour open, the emulator chooses:
//   - Idempotency-Key is scoped per API key and endpoint. A replay returns the
//     original task id whatever the body holds, is neither counted against nor
//     refused by the rate limit, and is never charged.
//   - The rate limit counts accepted submissions per API key in a rolling
//     minute; 429 carries Retry-After in whole seconds until a slot frees.
//   - The balance check subtracts the estimates of running jobs, so
//     concurrent jobs cannot overdraw it. A completed job is charged its
//     enriched rows times the tier price; pass-through rows and failed jobs
//     cost nothing.
//   - Files of at most 10 rows carry their rows inline in job-status results.
//   - Downloads work with or without x-api-key; a wrong key gets 401.
//   - One credit is 10 cents.
//
// Every random choice derives from Options.Seed. Fault injection and task
// ids draw from one seeded PCG source in request order. Row values,
// pass-through, mistyped and hostile values, job failures and shuffling hash
// the seed with the task id and the row, so they do not depend on timing.
package emulator
