package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// signedLink returns a download URL for one block's file that expires
// LinkTTL from now. The signature covers the task, the block and the expiry.
func (s *Server) signedLink(baseURL, taskID string, block int) string {
	expires := s.now().Add(s.opts.LinkTTL).Unix()
	return fmt.Sprintf("%s/emulator/files/%s/%d?expires=%d&sig=%s",
		baseURL, taskID, block, expires, s.linkSignature(taskID, strconv.Itoa(block), strconv.FormatInt(expires, 10)))
}

func (s *Server) linkSignature(taskID, block, expires string) string {
	mac := hmac.New(sha256.New, s.linkKey)
	fmt.Fprintf(mac, "%s/%s/%s", taskID, block, expires)
	return hex.EncodeToString(mac.Sum(nil))
}

// handleDownload serves a block's file. The x-api-key header is optional
// here, because the vendor's own poller downloads without it, but a wrong key
// gets 401. A bad signature and an expired link both get 403.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-api-key") != "" {
		if _, ok := s.authorize(w, r); !ok {
			return
		}
	}
	taskID, block := r.PathValue("task_id"), r.PathValue("block")
	query := r.URL.Query()
	expiresText, sig := query.Get("expires"), query.Get("sig")
	expected := s.linkSignature(taskID, block, expiresText)
	expires, err := strconv.ParseInt(expiresText, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(expected)) || !s.now().Before(time.Unix(expires, 0)) {
		writeDetail(w, http.StatusForbidden, "Download link expired")
		return
	}
	if s.chance(s.opts.ExpiredLinkRate) {
		writeDetail(w, http.StatusForbidden, "Download link expired")
		return
	}

	s.settle()
	s.mu.Lock()
	j := s.jobs[taskID]
	var data []byte
	var contentType, filename string
	if j != nil && j.state == stateCompleted {
		switch block {
		case "1":
			data, contentType, filename = j.upload, j.uploadFormat.contentType(), j.uploadName
		case "2":
			data, contentType, filename = j.result.data, j.result.format.contentType(), j.resultFilename()
		}
	}
	s.mu.Unlock()
	if data == nil {
		writeDetail(w, http.StatusNotFound, "File not found")
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filename))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
