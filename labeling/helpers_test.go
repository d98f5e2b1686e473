package labeling

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/data"
)

// stubClusterQueue stands in for the Cluster queue where this branch has
// none: its clusters are the source's classes (so a test knows what a
// grid holds), members in index order, most typical first by that
// convention; suggested is the labeled members' majority.
type stubClusterQueue struct{ y []int }

func (*stubClusterQueue) Strategy() string { return Cluster }

func (q *stubClusterQueue) Next(st State) ([]Example, bool) {
	clusters := 0
	for _, c := range q.y {
		clusters = max(clusters, c+1)
	}
	for c := range clusters {
		var group []Example
		votes := map[string]int{}
		for i, ci := range q.y {
			if ci != c {
				continue
			}
			if l, ok := st.Label(i); ok {
				votes[l]++
			}
			if !st.Taken(i) {
				group = append(group, Example{Index: i, Cluster: c, Score: 1 / float64(len(group)+1)})
			}
		}
		if len(group) == 0 {
			continue
		}
		best, n := "", 0
		for l, v := range votes {
			if v > n || v == n && l < best {
				best, n = l, v
			}
		}
		for k := range group {
			group[k].Suggested = best
		}
		return group, true
	}
	return nil, false
}

// stubQueues are the pool's random queue, stubClusterQueue for Cluster,
// and no Uncertain queue: what the tests of the server assert on, whatever
// queues the package has.
func stubQueues(p *Pool) func(string) (Queue, error) {
	return func(strategy string) (Queue, error) {
		switch strategy {
		case Cluster:
			return &stubClusterQueue{y: p.Data.Y}, nil
		case Uncertain:
			return nil, errors.New("the uncertain strategy needs --run")
		}
		return p.Queue(strategy)
	}
}

// imagePool is n tiny 1×2×3 images of classes cat, dog, bird (index mod
// 3), pixel values 0..16.
func imagePool(n int) *Pool {
	d := &data.Dataset{Source: "test-images", Kind: data.Image, Shape: []int{1, 2, 3}, Classes: []string{"cat", "dog", "bird"}, RawMax: 16}
	for i := range n {
		for p := range 6 {
			d.X = append(d.X, float32((i+p*3)%17))
		}
		d.Y = append(d.Y, i%3)
	}
	return &Pool{Options: PoolOptions{Source: "test-images", Seed: 1}, Data: d}
}

// tabularPool is n rows of two named features, the second missing in row 1.
func tabularPool(n int) *Pool {
	d := &data.Dataset{Source: "rows.csv", Kind: data.Tabular, Shape: []int{2}, Classes: []string{"no", "yes"}, FeatureNames: []string{"age", "income"}, MissingAsNaN: true}
	for i := range n {
		v := float32(i) * 1.5
		if i == 1 {
			v = float32(math.NaN())
		}
		d.X = append(d.X, float32(20+i), v)
		d.Y = append(d.Y, i%2)
	}
	return &Pool{Options: PoolOptions{Source: "rows.csv", Seed: 1}, Data: d}
}

// testServer is a Server on an httptest server, with its clock.
type testServer struct {
	*Server
	url, labels string
	clock       *fixedClock
}

func newTestServer(t *testing.T, p *Pool, opt ServerOptions) *testServer {
	t.Helper()
	labels := filepath.Join(t.TempDir(), "labels.csv")
	clock := &fixedClock{time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	j, err := OpenJournal(labels, JournalOptions{N: p.Data.Len(), Classes: p.Data.Classes, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if opt.Now == nil {
		opt.Now = clock.Now
	}
	if opt.Queue == nil {
		opt.Queue = stubQueues(p)
	}
	if opt.Strategy == "" {
		opt.Strategy = Random
	}
	s, err := NewServer(p, j, opt)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return &testServer{Server: s, url: hs.URL, labels: labels, clock: clock}
}

// call makes a request as page session (none when "") and decodes the
// JSON answer into out (when not nil); it returns the status and the raw
// body.
func (ts *testServer) call(t *testing.T, method, path, session, body string, out any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set(SessionHeader, session)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return res.StatusCode, string(b)
}

// next leases the next group of strategy to session.
func (ts *testServer) next(t *testing.T, session, strategy string) groupJSON {
	t.Helper()
	var g groupJSON
	if status, body := ts.call(t, "POST", "/api/next?strategy="+strategy, session, "", &g); status != http.StatusOK {
		t.Fatalf("next: %d %s", status, body)
	}
	return g
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
