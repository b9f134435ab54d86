package emulator

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBlockOneIsUpload(t *testing.T) {
	base, _, clock := startServer(t, Options{})
	upload := []byte("\ufeffid,name\r\n1,\"Ada, Countess\"\r\n")
	id := submitOK(t, base, submitRequest{file: upload, config: basicConfig})
	_, entries := completedResults(t, base, clock, id)
	if got := download(t, entries[0]); !bytes.Equal(got, upload) {
		t.Errorf("block 1 is not the upload as received:\n got %q\nwant %q", got, upload)
	}
}

func TestDownloadLinkExpiry(t *testing.T) {
	base, _, clock := startServer(t, Options{LinkTTL: time.Minute})
	id := submitOK(t, base, submitRequest{file: leadsCSV(2), config: basicConfig})
	_, entries := completedResults(t, base, clock, id)
	link := entries[1]["download_url"].(string)
	if entries[1]["download_expires_in_seconds"] != 60.0 {
		t.Errorf("download_expires_in_seconds %v, want 60", entries[1]["download_expires_in_seconds"])
	}

	clock.Advance(59 * time.Second)
	if resp := get(t, link, ""); resp.status != http.StatusOK {
		t.Fatalf("link before expiry: status %d", resp.status)
	}
	clock.Advance(time.Second)
	resp := get(t, link, "")
	if resp.status != http.StatusForbidden || resp.detail(t) != "Download link expired" {
		t.Fatalf("expired link: status %d: %s", resp.status, resp.body)
	}

	// A new poll signs a fresh link.
	_, entries = completedResults(t, base, clock, id)
	fresh := entries[1]["download_url"].(string)
	if fresh == link {
		t.Fatalf("poll returned the expired link again")
	}
	if resp := get(t, fresh, ""); resp.status != http.StatusOK {
		t.Errorf("fresh link: status %d", resp.status)
	}
}

func TestDownloadBadSignature(t *testing.T) {
	base, _, clock := startServer(t, Options{})
	id := submitOK(t, base, submitRequest{file: leadsCSV(2), config: basicConfig})
	_, entries := completedResults(t, base, clock, id)
	link := entries[1]["download_url"].(string)
	tampered := []string{
		strings.Replace(link, "/2?", "/1?", 1),            // other block, same signature
		link[:len(link)-4] + "0000",                       // wrong signature
		strings.Replace(link, "expires=", "expires=9", 1), // later expiry
	}
	for _, url := range tampered {
		resp := get(t, url, "")
		if resp.status != http.StatusForbidden || resp.detail(t) != "Download link expired" {
			t.Errorf("%s: status %d: %s", url, resp.status, resp.body)
		}
	}
}

func TestDownloadAPIKey(t *testing.T) {
	base, _, clock := startServer(t, Options{APIKey: testKey})
	id := submitOK(t, base, submitRequest{file: leadsCSV(2), config: basicConfig})
	_, entries := completedResults(t, base, clock, id)
	link := entries[1]["download_url"].(string)
	for key, want := range map[string]int{"": http.StatusOK, testKey: http.StatusOK, "wrong-key": http.StatusUnauthorized} {
		if resp := get(t, link, key); resp.status != want {
			t.Errorf("download with key %q: status %d, want %d", key, resp.status, want)
		}
	}
}

func TestExpiredLinkRate(t *testing.T) {
	base, s, clock := startServer(t, Options{ExpiredLinkRate: 1})
	id := submitOK(t, base, submitRequest{file: leadsCSV(2), config: basicConfig})
	_, entries := completedResults(t, base, clock, id)
	resp := get(t, entries[1]["download_url"].(string), "")
	if resp.status != http.StatusForbidden || resp.detail(t) != "Download link expired" {
		t.Errorf("status %d: %s", resp.status, resp.body)
	}
	if got := s.Stats().RequestsByStatus["403"]; got != 1 {
		t.Errorf("403 count %d, want 1", got)
	}
}

func TestDownloadBeforeCompletion(t *testing.T) {
	base, s, _ := startServer(t, Options{})
	id := submitOK(t, base, submitRequest{file: leadsCSV(2), config: basicConfig})
	// A validly signed link to a job that is still running finds no file.
	link := s.signedLink(base, id, 2)
	if resp := get(t, link, ""); resp.status != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.status)
	}
}
