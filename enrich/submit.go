package enrich

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Upload limits of the bulk endpoints.
const (
	MaxChunkRows = 100_000
	// MaxChunkBytes reads the documented "100 MB" as decimal megabytes
	// (100*1000*1000), the smaller of the two readings, so a chunk within it
	// also fits if the server means 100 MiB.
	MaxChunkBytes int64 = 100 * 1000 * 1000
	// MaxConfigChars is the limit on the config JSON in characters, counted
	// as Unicode code points (runes), which is how a Python server counts.
	MaxConfigChars = 300_000
	// MaxIdempotencyKeyLen is the limit on the Idempotency-Key header in
	// characters; keys built by IdempotencyKey are ASCII, so bytes equal characters.
	MaxIdempotencyKeyLen = 255
)

// Content type of the file part. The chunk is JSON Lines, and the part's
// filename ends in ".jsonl", which is what the server most likely uses to
// pick its parser.
// NOTE: the API documents neither how it detects the file format nor which
// content types it accepts. Its OpenAPI spec lists only the generic
// application/octet-stream for the binary part.
const chunkContentType = "application/x-ndjson"

// ChunkFile is a JSON Lines file ready for upload. Path must end in ".jsonl";
// the multipart part carries the base name of Path as its filename.
type ChunkFile struct {
	Path string
	// Rows is the number of records in the file, counted by the writer of the
	// chunk. It must be between 1 and MaxChunkRows.
	Rows int
	// Bytes is the file size; 0 means unknown. When set, it must match the
	// file on disk, because the Idempotency-Key was computed from its content.
	Bytes int64
}

// SubmitResult is the API's response to a submission.
type SubmitResult struct {
	TaskID string
	// Status is as sent by the API, typically "RUNNING" (upper case, unlike
	// the lower-case statuses of job-status).
	Status string
	// RowCount is the number of rows the server parsed; nil on a replay.
	RowCount *int
	// EstimatedCostCents is a floor on the charge; nil on a replay, so the
	// caller uses the estimate it recorded at the first submission.
	EstimatedCostCents *int64
	// AlreadyStarted is true when the API matched the Idempotency-Key to a
	// job that already exists and started nothing new.
	AlreadyStarted bool
}

// Submit uploads one chunk to the bulk endpoint ep with the config JSON and
// returns the new job. A non-empty idempotencyKey is sent as the
// Idempotency-Key header and resent unchanged on every retry, so a retry
// after a lost response replays the existing job instead of starting (and
// charging for) a second one. Without a key, Submit retries only failures
// where the server cannot have started a job.
//
// Submit checks the upload limits before sending anything and waits for the
// Client's rate limiter before every request, retries included.
func (c *Client) Submit(ctx context.Context, ep Endpoint, chunk ChunkFile, configJSON []byte, idempotencyKey string) (SubmitResult, error) {
	if err := checkEndpoint(ep); err != nil {
		return SubmitResult{}, err
	}
	size, err := checkChunk(chunk)
	if err != nil {
		return SubmitResult{}, err
	}
	if err := checkConfig(configJSON); err != nil {
		return SubmitResult{}, err
	}
	if err := checkIdempotencyKey(idempotencyKey); err != nil {
		return SubmitResult{}, err
	}

	chunkName := filepath.Base(chunk.Path)
	form, err := newUploadForm(chunkName, configJSON)
	if err != nil {
		return SubmitResult{}, fmt.Errorf("enrich: build multipart body for chunk %s: %w", chunkName, err)
	}

	target := c.endpointURL(url.Values{"cost_units": {"cents"}}, "bulk-intelligence", string(ep))
	logAttrs := []any{"endpoint", string(ep), "chunk", chunkName}
	var result SubmitResult

	attempt := func(ctx context.Context) error {
		reservedAt, err := c.waitForSubmission(ctx, logAttrs...)
		if err != nil {
			return err
		}
		file, err := os.Open(chunk.Path)
		if err != nil {
			return fmt.Errorf("enrich: open chunk: %w", err)
		}
		defer file.Close()

		req, err := c.newRequest(ctx, http.MethodPost, target)
		if err != nil {
			return err
		}
		req.Body = io.NopCloser(form.body(io.NewSectionReader(file, 0, size)))
		req.ContentLength = form.length(size)
		req.Header.Set("Content-Type", form.contentType)
		if idempotencyKey != "" {
			req.Header.Set("Idempotency-Key", idempotencyKey)
		}

		body, err := c.send(req, OpSubmit)
		c.limiter.moveLater(reservedAt, c.now())
		if err != nil {
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				apiErr.Chunk = chunkName
			}
			return err
		}
		result, err = decodeSubmitResult(body)
		return err
	}

	if err := c.withRetry(ctx, OpSubmit, idempotencyKey != "", attempt, logAttrs...); err != nil {
		return SubmitResult{}, err
	}

	if result.RowCount != nil && *result.RowCount != chunk.Rows {
		c.log.Warn("the API parsed a different number of rows than the chunk contains",
			"task_id", result.TaskID, "chunk", chunkName, "chunk_rows", chunk.Rows, "api_rows", *result.RowCount)
	}
	c.log.Info("submitted chunk", "task_id", result.TaskID, "chunk", chunkName, "endpoint", string(ep),
		"already_started", result.AlreadyStarted)
	return result, nil
}

func checkEndpoint(ep Endpoint) error {
	if ep != People && ep != Company {
		return fmt.Errorf("enrich: invalid endpoint %q: expected %q or %q", ep, People, Company)
	}
	return nil
}

// checkChunk validates the chunk against the upload limits and returns its
// size on disk.
func checkChunk(chunk ChunkFile) (int64, error) {
	if !strings.EqualFold(filepath.Ext(chunk.Path), ".jsonl") {
		return 0, fmt.Errorf("enrich: invalid chunk file %s: expected a .jsonl file", chunk.Path)
	}
	info, err := os.Stat(chunk.Path)
	if err != nil {
		return 0, fmt.Errorf("enrich: chunk file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return 0, fmt.Errorf("enrich: invalid chunk file %s: not a regular file", chunk.Path)
	}
	size := info.Size()
	if chunk.Bytes != 0 && chunk.Bytes != size {
		return 0, fmt.Errorf("enrich: chunk file %s is %d bytes but was written as %d bytes; it changed after chunking, so rerun with --restart", chunk.Path, size, chunk.Bytes)
	}
	if size == 0 {
		return 0, fmt.Errorf("enrich: chunk file %s is empty", chunk.Path)
	}
	if size > MaxChunkBytes {
		return 0, fmt.Errorf("enrich: chunk file %s is %d bytes, over the API limit of %d bytes (100 MB); lower chunk.max_bytes", chunk.Path, size, MaxChunkBytes)
	}
	if chunk.Rows < 1 {
		return 0, fmt.Errorf("enrich: chunk file %s has row count %d: expected the number of records, at least 1", chunk.Path, chunk.Rows)
	}
	if chunk.Rows > MaxChunkRows {
		return 0, fmt.Errorf("enrich: chunk file %s has %d rows, over the API limit of %d rows; lower chunk.max_rows", chunk.Path, chunk.Rows, MaxChunkRows)
	}
	return size, nil
}

func checkConfig(configJSON []byte) error {
	if !json.Valid(configJSON) {
		return errors.New("enrich: invalid config: not valid JSON")
	}
	if n := utf8.RuneCount(configJSON); n > MaxConfigChars {
		return fmt.Errorf("enrich: config is %d characters, over the API limit of %d characters; shorten the struct descriptions or research_plan", n, MaxConfigChars)
	}
	return nil
}

func checkIdempotencyKey(key string) error {
	if len(key) > MaxIdempotencyKeyLen {
		return fmt.Errorf("enrich: Idempotency-Key is %d characters, over the API limit of %d", len(key), MaxIdempotencyKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return fmt.Errorf("enrich: invalid Idempotency-Key: byte %d is %q; expected printable ASCII without spaces", i, key[i])
		}
	}
	return nil
}

// uploadForm is a multipart/form-data body split around the chunk's bytes,
// so the file streams from disk and the Content-Length is known up front.
type uploadForm struct {
	contentType string
	head        []byte // boundary and headers of the "file" part
	tail        []byte // the "config" part and the closing boundary
}

func newUploadForm(filename string, configJSON []byte) (*uploadForm, error) {
	var buf bytes.Buffer
	writer := multipart.NewWriter(&buf)

	fileHeader := textproto.MIMEHeader{}
	fileHeader.Set("Content-Disposition", multipart.FileContentDisposition("file", filename))
	fileHeader.Set("Content-Type", chunkContentType)
	if _, err := writer.CreatePart(fileHeader); err != nil {
		return nil, err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()

	configHeader := textproto.MIMEHeader{}
	configHeader.Set("Content-Disposition", `form-data; name="config"`)
	configHeader.Set("Content-Type", "application/json")
	part, err := writer.CreatePart(configHeader)
	if err != nil {
		return nil, err
	}
	if _, err := part.Write(configJSON); err != nil {
		return nil, err
	}
	if err := writer.Close(); err != nil {
		return nil, err
	}

	return &uploadForm{contentType: writer.FormDataContentType(), head: head, tail: bytes.Clone(buf.Bytes())}, nil
}

func (f *uploadForm) body(file io.Reader) io.Reader {
	return io.MultiReader(bytes.NewReader(f.head), file, bytes.NewReader(f.tail))
}

func (f *uploadForm) length(fileSize int64) int64 {
	return int64(len(f.head)) + fileSize + int64(len(f.tail))
}

func decodeSubmitResult(body []byte) (SubmitResult, error) {
	var wire struct {
		TaskID             string       `json:"task_id"`
		Status             string       `json:"status"`
		RowCount           *json.Number `json:"row_count"`
		EstimatedCostCents *json.Number `json:"estimated_cost_cents"`
		AlreadyStarted     *bool        `json:"already_started"`
	}
	if err := decodeJSON(body, &wire); err != nil {
		return SubmitResult{}, err
	}
	if wire.TaskID == "" {
		return SubmitResult{}, &malformedResponseError{errors.New(`missing "task_id"`)}
	}

	result := SubmitResult{TaskID: wire.TaskID, Status: wire.Status}
	if wire.AlreadyStarted != nil {
		result.AlreadyStarted = *wire.AlreadyStarted
	}
	if wire.RowCount != nil {
		n, err := integerValue(*wire.RowCount)
		if err != nil {
			return SubmitResult{}, &malformedResponseError{fmt.Errorf("row_count: %w", err)}
		}
		rows := int(n)
		result.RowCount = &rows
	}
	if wire.EstimatedCostCents != nil {
		n, err := integerValue(*wire.EstimatedCostCents)
		if err != nil {
			return SubmitResult{}, &malformedResponseError{fmt.Errorf("estimated_cost_cents: %w", err)}
		}
		result.EstimatedCostCents = &n
	}
	return result, nil
}
