package enrich

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
)

// maxJSONResponse caps a JSON response read into memory. A job-status body
// carries inline previews of small result files, so it can be large, but
// not this large.
const maxJSONResponse = 64 << 20

// send sends req and reads the whole response. It returns the body of a 2xx
// response, an *APIError for any other status, and a *transportError when
// the request or the body read failed.
func (c *Client) send(req *http.Request, op string) ([]byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, newTransportError(err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONResponse+1))
	if err != nil {
		return nil, newTransportError(fmt.Errorf("read response body: %w", err))
	}
	if len(body) > maxJSONResponse {
		return nil, fmt.Errorf("sixtyfour %s: response body is over %d bytes; the API sent something other than the expected JSON", op, maxJSONResponse)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.parseAPIError(op, resp, body)
	}
	return body, nil
}

// decodeJSON decodes a 2xx body, keeping JSON numbers as json.Number so that
// large integers in previews keep every digit.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &malformedResponseError{err}
	}
	return nil
}

// integerValue parses a JSON number that should be an integer. It accepts
// an integral float such as 250.0, because Python servers sometimes send one.
func integerValue(n json.Number) (int64, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errors.New("expected an integer, got " + string(n))
	}
	return int64(f), nil
}
