package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Server is an in-memory emulator of the Sixtyfour bulk enrichment API. It is
// safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	linkKey []byte
	handler http.Handler

	// rng drives every per-request random choice (fault injection, task ids).
	// Per-row and per-job choices hash the seed instead, so they do not
	// depend on request order.
	rngMu sync.Mutex
	rng   *rand.Rand

	mu          sync.Mutex
	jobs        map[string]*job
	idempotency map[string]string      // API key, endpoint and Idempotency-Key -> task id
	submitTimes map[string][]time.Time // API key -> accepted submissions in the last minute
	balance     *int64                 // nil = unlimited
	counters    counters
	closed      bool // set by Close; no background work starts after it

	// Lifetime of Start and of background work (timers, webhook deliveries).
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	httpSrv  *http.Server
	listener net.Listener
}

// New validates opts and returns a Server that has not started listening.
// ErrNotLoopback reports a listen address outside loopback while
// Options.AllowNonLoopback is off.
var ErrNotLoopback = errors.New("address is not loopback")

func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	linkKey := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("crmsync-emulator-download-links:"), uint64(o.Seed)))
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:        o,
		log:         o.Logger,
		linkKey:     linkKey[:],
		rng:         rand.New(rand.NewPCG(uint64(o.Seed), 0x63726d73796e63)),
		jobs:        map[string]*job{},
		idempotency: map[string]string{},
		submitTimes: map[string][]time.Time{},
		balance:     o.BalanceCents,
		counters:    newCounters(),
		ctx:         ctx,
		cancel:      cancel,
	}
	s.handler = s.routes()
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /bulk-intelligence/people", s.api(s.submitHandler(endpointPeople)))
	mux.Handle("POST /bulk-intelligence/company", s.api(s.submitHandler(endpointCompany)))
	mux.Handle("GET /job-status/{task_id}", s.api(http.HandlerFunc(s.handleJobStatus)))
	mux.Handle("GET /check-balance", s.api(http.HandlerFunc(s.handleCheckBalance)))
	mux.Handle("GET /emulator/files/{task_id}/{block}", s.api(http.HandlerFunc(s.handleDownload)))
	mux.HandleFunc("GET /emulator/stats", s.handleStats)
	mux.Handle("/", s.api(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeDetail(w, http.StatusNotFound, "Not Found")
	})))
	return mux
}

// Handler returns the HTTP handler, for callers that serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Options.Addr and serves in the background. It returns the
// base URL, such as "http://127.0.0.1:8064".
func (s *Server) Start() (string, error) {
	if err := checkListenAddr(s.opts.Addr, s.opts.AllowNonLoopback); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen on %s failed: %w", s.opts.Addr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator server stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
	baseURL := "http://" + ln.Addr().String()
	s.log.Info("emulator listening", "url", baseURL, "seed", s.opts.Seed)
	return baseURL, nil
}

// Close stops the listener, cancels pending webhook deliveries and waits for
// background work to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	var err error
	if s.httpSrv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.httpSrv.Shutdown(shutdownCtx)
		cancel()
	}
	s.mu.Lock()
	for _, j := range s.jobs {
		if j.timer != nil {
			j.timer.Stop()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func checkListenAddr(addr string, allowNonLoopback bool) error {
	if allowNonLoopback {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("emulator: invalid listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("emulator: listen address %q: %w; use 127.0.0.1 or [::1], or pass --allow-non-loopback", addr, ErrNotLoopback)
	}
	return nil
}

func (s *Server) now() time.Time { return s.opts.Now() }

// chance draws from the shared seeded source and reports whether an event of
// probability p happens. It draws nothing when p is 0, so enabling one fault
// does not shift the choices of another.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

func (s *Server) newUUID() string {
	s.rngMu.Lock()
	hi, lo := s.rng.Uint64(), s.rng.Uint64()
	s.rngMu.Unlock()
	return formatUUID(hi, lo)
}

// formatUUID formats 128 bits as a version 4 UUID.
func formatUUID(hi, lo uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// api wraps an API route with fault injection, status counting and request
// logging. The stats route is not wrapped, so polling it changes no counter.
// Each response is counted before its first byte is sent, so a client that
// has read a response finds it counted in the stats.
func (s *Server) api(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.chance(s.opts.ErrorRate) {
			s.countResponse(r, http.StatusInternalServerError, "error-rate")
			writeDetail(w, http.StatusInternalServerError, "Internal server error")
			return
		}
		if s.chance(s.opts.DropRate) {
			rec := newBufferedResponse()
			next.ServeHTTP(rec, r)
			s.countResponse(r, rec.status, "drop-rate")
			s.dropResponse(w, rec)
			return
		}
		sw := &statusWriter{ResponseWriter: w, onStatus: func(status int) { s.countResponse(r, status, "") }}
		next.ServeHTTP(sw, r)
	})
}

// countResponse records a response status in the stats and logs the request.
func (s *Server) countResponse(r *http.Request, status int, fault string) {
	s.mu.Lock()
	s.counters.requestsByStatus[strconv.Itoa(status)]++
	if fault == "drop-rate" {
		s.counters.droppedResponses++
	}
	s.mu.Unlock()
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status}
	if fault != "" {
		attrs = append(attrs, "fault", fault)
	}
	s.log.Debug("emulator request", attrs...)
}

// dropResponse sends the first part of a buffered response and closes the
// connection, so the client sees a truncated response for work that was done.
// Every other cut ends inside the headers, the rest inside the body.
func (s *Server) dropResponse(w http.ResponseWriter, rec *bufferedResponse) {
	hijacker, ok := w.(http.Hijacker)
	if !ok {
		// NOTE: HTTP/2 and some test recorders cannot be hijacked; the
		// response is then sent whole and only counted as dropped.
		rec.writeTo(w)
		return
	}
	conn, buf, err := hijacker.Hijack()
	if err != nil {
		rec.writeTo(w)
		return
	}
	defer conn.Close()
	wire := rec.wireBytes()
	headerEnd := rec.headerLength()
	var cut int
	if s.chance(0.5) || len(wire) == headerEnd {
		cut = headerEnd / 2
	} else {
		cut = headerEnd + (len(wire)-headerEnd)/2
	}
	_, _ = buf.Write(wire[:cut])
	_ = buf.Flush()
}

// writeJSON sends v as a JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"detail":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeDetail sends the FastAPI error shape {"detail": message}.
func writeDetail(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"detail": message})
}

// authorize checks the x-api-key header and returns the key, or writes 401.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) (string, bool) {
	key := r.Header.Get("x-api-key")
	if key == "" || (s.opts.APIKey != "" && key != s.opts.APIKey) {
		writeDetail(w, http.StatusUnauthorized, "Machine authentication required")
		return "", false
	}
	return key, true
}
