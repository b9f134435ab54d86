package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
)

// statusWriter calls onStatus with the response status before the first
// byte is sent.
type statusWriter struct {
	http.ResponseWriter
	onStatus    func(status int)
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		w.onStatus(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// bufferedResponse holds a whole response in memory, so that it can be sent
// truncated on a hijacked connection.
type bufferedResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, status: http.StatusOK}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if !b.wroteHeader {
		b.status = status
		b.wroteHeader = true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wroteHeader = true
	return b.body.Write(p)
}

// headerBytes renders the HTTP/1.1 status line and headers, with a
// Content-Length that matches the full body.
func (b *bufferedResponse) headerBytes() []byte {
	var out bytes.Buffer
	fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\n", b.status, http.StatusText(b.status))
	h := b.header.Clone()
	h.Set("Content-Length", strconv.Itoa(b.body.Len()))
	h.Set("Connection", "close")
	_ = h.Write(&out)
	out.WriteString("\r\n")
	return out.Bytes()
}

func (b *bufferedResponse) headerLength() int { return len(b.headerBytes()) }

func (b *bufferedResponse) wireBytes() []byte {
	return append(b.headerBytes(), b.body.Bytes()...)
}

// writeTo sends the buffered response unchanged.
func (b *bufferedResponse) writeTo(w http.ResponseWriter) {
	for name, values := range b.header {
		w.Header()[name] = values
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
