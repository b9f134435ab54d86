package enrich

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// enrichedCSV has two records, the first with a line break inside a quoted
// value, so a line count would find three rows.
const enrichedCSV = "full_name,company,email,title\r\n" +
	"\"Ada L.\",Acme,ada@acme.com,\"CTO\nand founder\"\r\n" +
	"Grace H.,Navy,grace@navy.mil,Admiral\r\n"

// completedEnv returns a test environment whose job-status for task t1 is
// the completed example, with links to /files/source.csv and /files/enriched.csv.
func completedEnv(t *testing.T, edit func(*Options)) (*testEnv, string) {
	env := newTestEnv(t, edit)
	body := completedWithLinks(env.api.URL()+"/files/source.csv", env.api.URL()+"/files/enriched.csv")
	return env, body
}

func fetchStatus(t *testing.T, env *testEnv, taskID string) JobStatus {
	t.Helper()
	st, err := env.client.Status(context.Background(), taskID)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	return st
}

// assertNoTempFiles fails when a temporary download file is left in dir.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestDownloadPicksHighestBlock(t *testing.T) {
	env, body := completedEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: body})
	env.api.on("GET /files/source.csv", fakeResponse{body: "full_name,company\r\nx,y\r\n", header: map[string]string{"Content-Type": "text/csv"}})
	env.api.on("GET /files/enriched.csv", fakeResponse{body: enrichedCSV, header: map[string]string{"Content-Type": "text/csv"}})
	st := fetchStatus(t, env, "t1")
	dst := filepath.Join(t.TempDir(), "result.csv")

	format, err := env.client.DownloadResult(context.Background(), "t1", st, dst)
	if err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	if format != FormatCSV {
		t.Errorf("format = %q, want csv", format)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != enrichedCSV {
		t.Errorf("dst content = %q, want the enriched file", got)
	}
	downloads := env.api.receivedOn("GET /files/enriched.csv")
	if len(downloads) != 1 {
		t.Fatalf("enriched downloads = %d, want 1", len(downloads))
	}
	if downloads[0].header.Get("x-api-key") != testAPIKey {
		t.Errorf("download sent without x-api-key to the API's own host")
	}
	if n := len(env.api.receivedOn("GET /files/source.csv")); n != 0 {
		t.Errorf("source file downloaded %d times, want 0", n)
	}
	assertNoTempFiles(t, filepath.Dir(dst))
}

func TestDownloadRefreshesRejectedLink(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusGone} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			env := newTestEnv(t, nil)
			stale := completedWithLinks(env.api.URL()+"/files/source.csv", env.api.URL()+"/files/old.csv")
			fresh := completedWithLinks(env.api.URL()+"/files/source.csv", env.api.URL()+"/files/new.csv")
			env.api.on("GET /job-status/t1", fakeResponse{body: stale}, fakeResponse{body: fresh})
			env.api.on("GET /files/old.csv", fakeResponse{status: status, body: `<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`})
			env.api.on("GET /files/new.csv", fakeResponse{body: enrichedCSV})
			st := fetchStatus(t, env, "t1")
			dst := filepath.Join(t.TempDir(), "result.csv")

			if _, err := env.client.DownloadResult(context.Background(), "t1", st, dst); err != nil {
				t.Fatalf("DownloadResult: %v", err)
			}
			if n := len(env.api.receivedOn("GET /job-status/t1")); n != 2 {
				t.Errorf("job-status requests = %d, want 2 (one refresh)", n)
			}
			if n := len(env.api.receivedOn("GET /files/old.csv")); n != 1 {
				t.Errorf("old link requests = %d, want 1 (no retry of a rejected link)", n)
			}
			if got, _ := os.ReadFile(dst); string(got) != enrichedCSV {
				t.Errorf("dst = %q", got)
			}
			assertNoTempFiles(t, filepath.Dir(dst))
		})
	}
}

func TestDownloadRefreshesLinkPastLifetime(t *testing.T) {
	env := newTestEnv(t, nil)
	stale := completedWithLinks(env.api.URL()+"/files/source.csv", env.api.URL()+"/files/old.csv")
	fresh := completedWithLinks(env.api.URL()+"/files/source.csv", env.api.URL()+"/files/new.csv")
	env.api.on("GET /job-status/t1", fakeResponse{body: stale}, fakeResponse{body: fresh})
	env.api.on("GET /files/old.csv", fakeResponse{body: enrichedCSV})
	env.api.on("GET /files/new.csv", fakeResponse{body: enrichedCSV})
	st := fetchStatus(t, env, "t1")
	env.clock.Advance(901 * time.Second)

	if _, err := env.client.DownloadResult(context.Background(), "t1", st, filepath.Join(t.TempDir(), "r.csv")); err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	if n := len(env.api.receivedOn("GET /files/old.csv")); n != 0 {
		t.Errorf("expired link requested %d times, want 0", n)
	}
	if n := len(env.api.receivedOn("GET /files/new.csv")); n != 1 {
		t.Errorf("fresh link requests = %d, want 1", n)
	}
}

func TestDownloadGivesUpAfterRefreshes(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Retry.LinkRefreshes = 2 })
	body := completedWithLinks(env.api.URL()+"/files/source.csv", env.api.URL()+"/files/old.csv")
	body = strings.Replace(body, `"results":[{"full_name"`, `"results":null,"x":[{"full_name"`, 1)
	env.api.on("GET /job-status/t1", fakeResponse{body: body})
	env.api.on("GET /files/old.csv", fakeResponse{status: 403, body: "expired"})
	st := fetchStatus(t, env, "t1")
	dst := filepath.Join(t.TempDir(), "r.csv")

	_, err := env.client.DownloadResult(context.Background(), "t1", st, dst)
	if !errors.Is(err, ErrLinkExpired) {
		t.Fatalf("error = %v, want ErrLinkExpired", err)
	}
	if errors.Is(err, ErrForbidden) {
		t.Errorf("a 403 from a download link matched ErrForbidden, which means a tier problem")
	}
	if n := len(env.api.receivedOn("GET /job-status/t1")); n != 3 {
		t.Errorf("job-status requests = %d, want 1 + 2 refreshes", n)
	}
	if _, statErr := os.Stat(dst); !os.IsNotExist(statErr) {
		t.Errorf("dst exists after a failed download")
	}
}

func TestDownloadWritesPreviewWithoutLink(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: `{"status":"completed","id":"t1","run_id":"r","start_time":"s","close_time":"c",
		"results":[{"filename":"enriched.csv","storage_bucket":"results","row_count":2,"block_number":2,"download_url":null,
		"results":[{"full_name":"Ada L.","employees":12345678901234567890,"title":"CTO"},{"full_name":"Grace H.","employees":null,"title":"Admiral"}]}],
		"charge_amount":4}`})
	st := fetchStatus(t, env, "t1")
	dst := filepath.Join(t.TempDir(), "result.jsonl")

	format, err := env.client.DownloadResult(context.Background(), "t1", st, dst)
	if err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	if format != FormatJSONL {
		t.Errorf("format = %q, want jsonl", format)
	}
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
	}
	want := []string{
		`{"employees":12345678901234567890,"full_name":"Ada L.","title":"CTO"}`,
		`{"employees":null,"full_name":"Grace H.","title":"Admiral"}`,
	}
	if len(lines) != len(want) {
		t.Fatalf("lines = %q, want %q", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %s, want %s", i+1, lines[i], want[i])
		}
	}
	if n := len(env.api.receivedOn("GET /job-status/t1")); n != 1 {
		t.Errorf("job-status requests = %d, want 1 (no refresh when a preview is there)", n)
	}
}

func TestDownloadPreviewRowCountMismatch(t *testing.T) {
	env := newTestEnv(t, nil)
	// The contract example's final entry reports row_count 2 with a 1-row preview.
	body := strings.ReplaceAll(exampleCompleted, `"https://…signed…"`, "null")
	env.api.on("GET /job-status/t1", fakeResponse{body: body})
	st := fetchStatus(t, env, "t1")
	dst := filepath.Join(t.TempDir(), "r.jsonl")

	_, err := env.client.DownloadResult(context.Background(), "t1", st, dst)
	if err == nil {
		t.Fatal("DownloadResult wrote an incomplete preview")
	}
	for _, want := range []string{"1 rows", "row_count 2", "preview"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, statErr := os.Stat(dst); !os.IsNotExist(statErr) {
		t.Errorf("dst exists after a failed check")
	}
}

func TestDownloadRowCountMismatch(t *testing.T) {
	env, body := completedEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: body})
	env.api.on("GET /files/enriched.csv", fakeResponse{body: "full_name,email\r\n\"Ada\nL.\",ada@acme.com\r\n"})
	st := fetchStatus(t, env, "t1")
	dir := t.TempDir()
	dst := filepath.Join(dir, "r.csv")

	_, err := env.client.DownloadResult(context.Background(), "t1", st, dst)
	if err == nil {
		t.Fatal("DownloadResult accepted 1 row for row_count 2")
	}
	for _, want := range []string{"has 1 rows", "row_count 2", "enriched.csv"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, statErr := os.Stat(dst); !os.IsNotExist(statErr) {
		t.Errorf("dst exists after a failed check")
	}
	assertNoTempFiles(t, dir)
}

func TestDownloadFormats(t *testing.T) {
	cases := []struct {
		name        string
		filename    string
		contentType string
		body        string
		want        string
	}{
		{"json by name", "out.json", "", `[{"a":1},{"a":2}]`, FormatJSON},
		{"ndjson by name", "out.ndjson", "", "{\"a\":1}\n\n{\"a\":2}\n", FormatJSONL},
		{"jsonl by content type", "out", "application/x-ndjson", "{\"a\":1}\n{\"a\":2}\n", FormatJSONL},
		{"csv by content type", "out", "text/csv; charset=utf-8", "\ufeff\"a\",\"b\"\n1,2\n3,4\n", FormatCSV},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, nil)
			env.api.on("GET /job-status/t1", fakeResponse{body: `{"status":"completed","id":"t1","run_id":"r","start_time":"s",
				"results":[{"filename":"` + tc.filename + `","storage_bucket":"b","row_count":2,"block_number":1,
				"content_type":"` + tc.contentType + `","download_url":"` + env.api.URL() + `/files/out"}]}`})
			env.api.on("GET /files/out", fakeResponse{body: tc.body, header: map[string]string{"Content-Type": "application/octet-stream"}})
			st := fetchStatus(t, env, "t1")

			format, err := env.client.DownloadResult(context.Background(), "t1", st, filepath.Join(t.TempDir(), "r"))
			if err != nil {
				t.Fatalf("DownloadResult: %v", err)
			}
			if format != tc.want {
				t.Errorf("format = %q, want %q", format, tc.want)
			}
		})
	}
}

func TestDownloadRetriesServerErrorAndDrop(t *testing.T) {
	env, body := completedEnv(t, nil)
	env.api.on("GET /job-status/t1", fakeResponse{body: body})
	env.api.on("GET /files/enriched.csv",
		fakeResponse{status: 500, body: example500},
		fakeResponse{body: enrichedCSV, drop: true},
		fakeResponse{body: enrichedCSV})
	st := fetchStatus(t, env, "t1")
	dir := t.TempDir()
	dst := filepath.Join(dir, "r.csv")

	if _, err := env.client.DownloadResult(context.Background(), "t1", st, dst); err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	if n := len(env.api.receivedOn("GET /files/enriched.csv")); n != 3 {
		t.Errorf("download requests = %d, want 3", n)
	}
	if got, _ := os.ReadFile(dst); string(got) != enrichedCSV {
		t.Errorf("dst = %q, want the complete file", got)
	}
	assertNoTempFiles(t, dir)
}

func TestDownloadKeyOnlyToTrustedHosts(t *testing.T) {
	env := newTestEnv(t, nil)
	// The base URL uses 127.0.0.1; "localhost" names the same server but is
	// another host, as a storage bucket's signed URL would be.
	other := strings.Replace(env.api.URL(), "127.0.0.1", "localhost", 1)
	body := completedWithLinks(other+"/files/source.csv", other+"/files/enriched.csv")
	env.api.on("GET /job-status/t1", fakeResponse{body: body})
	env.api.on("GET /files/enriched.csv", fakeResponse{body: enrichedCSV})
	st := fetchStatus(t, env, "t1")

	if _, err := env.client.DownloadResult(context.Background(), "t1", st, filepath.Join(t.TempDir(), "r.csv")); err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	downloads := env.api.receivedOn("GET /files/enriched.csv")
	if len(downloads) != 1 {
		t.Fatalf("downloads = %d, want 1", len(downloads))
	}
	if got := downloads[0].header.Get("x-api-key"); got != "" {
		t.Errorf("x-api-key sent to another host")
	}
}

func TestDownloadRedirectDropsKey(t *testing.T) {
	env := newTestEnv(t, nil)
	other := strings.Replace(env.api.URL(), "127.0.0.1", "localhost", 1)
	body := completedWithLinks(env.api.URL()+"/files/source.csv", env.api.URL()+"/files/redirect")
	env.api.on("GET /job-status/t1", fakeResponse{body: body})
	env.api.on("GET /files/redirect", fakeResponse{status: http.StatusFound, header: map[string]string{"Location": other + "/files/enriched.csv"}})
	env.api.on("GET /files/enriched.csv", fakeResponse{body: enrichedCSV})
	st := fetchStatus(t, env, "t1")

	if _, err := env.client.DownloadResult(context.Background(), "t1", st, filepath.Join(t.TempDir(), "r.csv")); err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	if got := env.api.receivedOn("GET /files/redirect")[0].header.Get("x-api-key"); got != testAPIKey {
		t.Errorf("x-api-key missing on the API host")
	}
	if got := env.api.receivedOn("GET /files/enriched.csv")[0].header.Get("x-api-key"); got != "" {
		t.Errorf("x-api-key forwarded through a redirect to another host")
	}
}

func TestDownloadRejectsUnfinishedJob(t *testing.T) {
	env := newTestEnv(t, nil)
	_, err := env.client.DownloadResult(context.Background(), "t1", JobStatus{Status: StatusFailed}, filepath.Join(t.TempDir(), "r"))
	if err == nil || !strings.Contains(err.Error(), `"failed"`) {
		t.Errorf("error = %v, want one naming the failed status", err)
	}
	_, err = env.client.DownloadResult(context.Background(), "t1", JobStatus{Status: StatusCompleted}, filepath.Join(t.TempDir(), "r"))
	if err == nil || !strings.Contains(err.Error(), "without any result file") {
		t.Errorf("error = %v, want one about missing result files", err)
	}
}

func TestDownloadFallsBackToPreview(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Retry.LinkRefreshes = 1 })
	env.api.on("GET /job-status/t1", fakeResponse{body: `{"status":"completed","id":"t1","run_id":"r","start_time":"s",
		"results":[{"filename":"enriched.csv","storage_bucket":"results","row_count":1,"block_number":2,
		"download_url":"` + env.api.URL() + `/files/enriched.csv","results":[{"full_name":"Ada L.","title":"CTO"}]}]}`})
	env.api.on("GET /files/enriched.csv", fakeResponse{status: http.StatusGone, body: "gone"})
	st := fetchStatus(t, env, "t1")
	dst := filepath.Join(t.TempDir(), "r.jsonl")

	format, err := env.client.DownloadResult(context.Background(), "t1", st, dst)
	if err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	if format != FormatJSONL {
		t.Errorf("format = %q, want jsonl", format)
	}
	if got, _ := os.ReadFile(dst); string(got) != "{\"full_name\":\"Ada L.\",\"title\":\"CTO\"}\n" {
		t.Errorf("dst = %q, want the preview row", got)
	}
	if n := len(env.api.receivedOn("GET /files/enriched.csv")); n != 2 {
		t.Errorf("link requests = %d, want 2 (before and after one refresh)", n)
	}
	if !strings.Contains(env.logs.String(), "writing the inline preview") {
		t.Errorf("fallback to the preview not logged")
	}
}
