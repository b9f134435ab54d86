package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// linkSafetyMargin is subtracted from a link's lifetime, so a download does
// not start on a link that expires while the request is in flight.
const linkSafetyMargin = 30 * time.Second

// DownloadResult writes the final result file of a completed job (see
// JobStatus.Final) to dst and returns its format: "csv", "json" or "jsonl".
//
// The file is written to a temporary file in dst's folder, synced, checked
// and then renamed over dst, so dst is either absent or complete. The check
// compares the number of rows (CSV records after the header, JSON array
// elements, or JSON Lines values) with the entry's row_count, and a mismatch
// is an error.
//
// A link that is past its lifetime (ExpiresIn counted from st.FetchedAt), or
// that the storage rejects with 403 or 410, makes DownloadResult fetch the
// job status again for fresh links, at most RetryPolicy.LinkRefreshes times.
// When the entry has no download link, or no link worked, and it carries an
// inline preview, the preview is written as JSON Lines instead. The row-count
// check applies to it too.
func (c *Client) DownloadResult(ctx context.Context, taskID string, st JobStatus, dst string) (format string, err error) {
	if st.Status != StatusCompleted {
		return "", fmt.Errorf("enrich: task %s is %q, not %q, so it has no result to download", taskID, st.Status, StatusCompleted)
	}
	entry, ok := st.Final()
	if !ok {
		return "", fmt.Errorf("enrich: task %s completed without any result file; rerun the chunk with a new attempt number", taskID)
	}

	for refreshes := 0; ; refreshes++ {
		var reason string
		switch {
		case entry.DownloadURL == "" && entry.Results != nil:
			return c.writePreview(taskID, entry, dst)
		case entry.DownloadURL == "":
			reason = "the API sent no download link"
		case c.linkExpired(entry, st.FetchedAt):
			reason = "the download link is past its lifetime"
		default:
			format, err := c.downloadFile(ctx, taskID, entry, dst)
			if !errors.Is(err, ErrLinkExpired) {
				return format, err
			}
			reason = err.Error()
		}

		if refreshes >= c.retry.LinkRefreshes {
			if entry.Results != nil {
				c.log.Warn("writing the inline preview because no download link worked", "task_id", taskID, "reason", reason)
				return c.writePreview(taskID, entry, dst)
			}
			return "", fmt.Errorf("enrich: no usable download link for task %s after %d job-status refreshes (%s): %w; rerun the pipeline to resume",
				taskID, refreshes, reason, ErrLinkExpired)
		}

		c.log.Info("fetching fresh download links", "task_id", taskID, "reason", reason, "refresh", refreshes+1)
		st, err = c.Status(ctx, taskID)
		if err != nil {
			return "", err
		}
		if st.Status != StatusCompleted {
			return "", fmt.Errorf("enrich: task %s changed from %q to %q while fetching fresh download links", taskID, StatusCompleted, st.Status)
		}
		if entry, ok = st.Final(); !ok {
			return "", fmt.Errorf("enrich: task %s lost its result files while fetching fresh download links", taskID)
		}
	}
}

// linkExpired reports whether the entry's link is past its lifetime minus
// linkSafetyMargin. A zero fetchedAt means the fetch time is unknown, so the
// link is tried and a 403 or 410 decides.
func (c *Client) linkExpired(entry ResultEntry, fetchedAt time.Time) bool {
	if fetchedAt.IsZero() {
		return false
	}
	expiresAt := fetchedAt.Add(time.Duration(entry.ExpiresIn)*time.Second - linkSafetyMargin)
	return !c.now().Before(expiresAt)
}

// downloadFile fetches entry's link with retries and installs the checked
// file at dst.
func (c *Client) downloadFile(ctx context.Context, taskID string, entry ResultEntry, dst string) (string, error) {
	link, err := c.baseURL.Parse(entry.DownloadURL)
	if err != nil || (link.Scheme != "http" && link.Scheme != "https") {
		return "", fmt.Errorf("enrich: invalid download link for task %s: expected an http(s) URL", taskID)
	}

	var tmpPath, responseType string
	var written int64
	attempt := func(ctx context.Context) error {
		path, contentType, n, err := c.fetchToTemp(ctx, taskID, link.String(), dst)
		if err != nil {
			return err
		}
		tmpPath, responseType, written = path, contentType, n
		return nil
	}
	if err := c.withRetry(ctx, OpDownload, true, attempt, "task_id", taskID); err != nil {
		return "", err
	}
	defer os.Remove(tmpPath) // a no-op after the rename

	format, err := detectFormat(entry.Filename, entry.ContentType, responseType)
	if err != nil {
		return "", fmt.Errorf("enrich: result file of task %s: %w", taskID, err)
	}
	if entry.FileSize != nil && *entry.FileSize > 0 && *entry.FileSize != written {
		// NOTE: file_size is documented as the uncompressed size "when known".
		// It is unknown whether bulk results fill it the same way, so a
		// mismatch is logged, and the row count check below decides.
		c.log.Warn("result file size differs from job-status file_size", "task_id", taskID,
			"file_size", *entry.FileSize, "downloaded_bytes", written)
	}

	rows, err := countRowsInFile(tmpPath, format)
	if err != nil {
		return "", fmt.Errorf("enrich: result file of task %s (%s): %w", taskID, entry.Filename, err)
	}
	if err := c.checkRowCount(taskID, entry, rows); err != nil {
		return "", err
	}
	if err := installFile(tmpPath, dst); err != nil {
		return "", err
	}
	c.log.Info("downloaded result file", "task_id", taskID, "format", format, "rows", rows, "bytes", written)
	return format, nil
}

// fetchToTemp sends one GET for link and writes a 2xx body to a new
// temporary file next to dst, synced and closed. It returns the temporary
// path, the response Content-Type and the byte count.
func (c *Client) fetchToTemp(ctx context.Context, taskID, link, dst string) (path, contentType string, n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return "", "", 0, err
	}
	if c.trustsHost(req.URL) {
		req.Header.Set(headerAPIKey, c.apiKey)
	}
	req.Header.Set("User-Agent", "crmsync")

	resp, err := c.http.Do(req)
	if err != nil {
		return "", "", 0, newTransportError(err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		apiErr := c.parseAPIError(OpDownload, resp, body)
		apiErr.TaskID = taskID
		return "", "", 0, apiErr
	}

	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.part")
	if err != nil {
		return "", "", 0, fmt.Errorf("enrich: create temporary file for %s: %w", dst, err)
	}
	n, err = io.Copy(tmp, resp.Body)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			return "", "", 0, fmt.Errorf("enrich: write %s: %w", tmp.Name(), err)
		}
		return "", "", 0, newTransportError(fmt.Errorf("read result body: %w", err))
	}
	if err := syncAndClose(tmp); err != nil {
		os.Remove(tmp.Name())
		return "", "", 0, err
	}
	return tmp.Name(), resp.Header.Get("Content-Type"), n, nil
}

// writePreview writes the entry's inline preview rows as JSON Lines.
// NOTE: the preview arrives as JSON objects decoded into maps, so the column
// order of the original file is lost and keys are written sorted.
func (c *Client) writePreview(taskID string, entry ResultEntry, dst string) (string, error) {
	if err := c.checkRowCount(taskID, entry, len(entry.Results)); err != nil {
		return "", fmt.Errorf("%w (inline preview, no usable download link)", err)
	}

	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.part")
	if err != nil {
		return "", fmt.Errorf("enrich: create temporary file for %s: %w", dst, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename

	enc := json.NewEncoder(tmp)
	enc.SetEscapeHTML(false)
	for _, row := range entry.Results {
		if err := enc.Encode(row); err != nil {
			tmp.Close()
			return "", fmt.Errorf("enrich: write preview of task %s to %s: %w", taskID, tmp.Name(), err)
		}
	}
	if err := syncAndClose(tmp); err != nil {
		return "", err
	}
	if err := installFile(tmp.Name(), dst); err != nil {
		return "", err
	}
	c.log.Info("wrote inline result preview", "task_id", taskID, "rows", len(entry.Results))
	return FormatJSONL, nil
}

// checkRowCount compares the rows found with the entry's row_count.
// NOTE: row_count defaults to 0 in the API schema, so 0 is read as "not
// reported" and any number of rows is accepted with a warning.
func (c *Client) checkRowCount(taskID string, entry ResultEntry, rows int) error {
	if entry.RowCount == 0 {
		if rows != 0 {
			c.log.Warn("job-status reports row_count 0, so the result's row count is unchecked", "task_id", taskID, "rows", rows)
		}
		return nil
	}
	if rows != entry.RowCount {
		return fmt.Errorf("enrich: result file %s of task %s has %d rows, but job-status reports row_count %d; the file is incomplete, so rerun the pipeline to fetch it again",
			entry.Filename, taskID, rows, entry.RowCount)
	}
	return nil
}

func syncAndClose(f *os.File) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("enrich: sync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("enrich: close %s: %w", f.Name(), err)
	}
	return nil
}

// installFile renames tmp over dst and syncs the folder, so the rename
// survives a crash.
func installFile(tmp, dst string) error {
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("enrich: move result file into place at %s: %w", dst, err)
	}
	dir, err := os.Open(filepath.Dir(dst))
	if err != nil {
		return fmt.Errorf("enrich: open folder of %s to sync it: %w", dst, err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("enrich: sync folder of %s: %w", dst, err)
	}
	return nil
}
