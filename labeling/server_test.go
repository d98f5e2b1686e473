package labeling

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/syncbuf"
)

// TestLeasesNeverShared: pages asking at once never get the same
// example, with or without a session, until none is left; then next says
// done.
func TestLeasesNeverShared(t *testing.T) {
	ts := newTestServer(t, imagePool(10), ServerOptions{})
	got := make(chan []int, 2)
	for _, client := range []string{"a", "b"} {
		go func() {
			var idx []int
			for k := range 6 {
				session := fmt.Sprintf("%s%d", client, k)
				if k%2 == 1 {
					session = "" // a client without a session: every call a new lease
				}
				req, _ := http.NewRequest("POST", ts.url+"/api/next?strategy=random", nil)
				if session != "" {
					req.Header.Set(SessionHeader, session)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				var g groupJSON
				if json.NewDecoder(res.Body).Decode(&g) == nil && res.StatusCode == http.StatusOK && !g.Done {
					idx = append(idx, itemIndices(g.Items)...)
				}
				res.Body.Close()
			}
			got <- idx
		}()
	}
	a, b := <-got, <-got
	all := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
	if !slices.Equal(all, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("the two clients got %v and %v; want each of the 10 examples exactly once", a, b)
	}
	if g := ts.next(t, "c", Random); !g.Done || len(g.Items) != 0 || g.State.Leased != 10 {
		t.Fatalf("with every example leased, next gave %+v; want done, 10 leased", g)
	}
}

// TestLeaseExpires: an expired lease's examples go to the next page that
// asks, and deciding with the expired lease is 409.
func TestLeaseExpires(t *testing.T) {
	ts := newTestServer(t, imagePool(10), ServerOptions{LeaseTTL: 5 * time.Minute})
	a := ts.next(t, "tabA", Random)
	// The same page asking again (a reload) gets its lease back.
	if again := ts.next(t, "tabA", Random); again.Lease != a.Lease || again.Items[0].Index != a.Items[0].Index {
		t.Fatalf("a reload got lease %s (%d); want %s (%d) back", again.Lease, again.Items[0].Index, a.Lease, a.Items[0].Index)
	}
	b := ts.next(t, "tabB", Random)
	if b.Items[0].Index == a.Items[0].Index {
		t.Fatal("tabB got tabA's leased example")
	}
	ts.clock.t = ts.clock.t.Add(5 * time.Minute)
	// Random order: tabA's example comes first, so the next page gets it.
	c := ts.next(t, "tabC", Random)
	if c.Items[0].Index != a.Items[0].Index {
		t.Fatalf("after tabA's lease expired tabC got %d; want tabA's %d", c.Items[0].Index, a.Items[0].Index)
	}
	status, body := ts.call(t, "POST", "/api/label", "tabA", jsonBody(map[string]any{"lease": a.Lease, "items": []map[string]any{{"index": a.Items[0].Index, "label": "cat"}}}), nil)
	if status != http.StatusConflict || !strings.Contains(body, "is not held: it expired") {
		t.Fatalf("labeling with an expired lease: %d %s; want 409 saying it expired", status, body)
	}
	status, body = ts.call(t, "POST", "/api/label", "tabA", jsonBody(map[string]any{"lease": c.Lease, "items": []map[string]any{{"index": c.Items[0].Index, "label": "cat"}}}), nil)
	if status != http.StatusConflict || !strings.Contains(body, "belongs to another page") {
		t.Fatalf("labeling with another page's lease: %d %s; want 409", status, body)
	}
	if l := ts.j.Labels(); len(l) != 0 {
		t.Fatalf("refused labels were recorded: %v", l)
	}
}

// TestLabelClusterSkipUndo: a cluster's selected members are labeled at
// once and a deselected one goes back to the queue; a skip keeps the rest
// of the lease; undo takes back the page's last action whole and gives
// its examples back to that page.
func TestLabelClusterSkipUndo(t *testing.T) {
	p := imagePool(12) // clusters (the stub's) are the classes: 4 members each
	ts := newTestServer(t, p, ServerOptions{Strategy: Cluster})
	g := ts.next(t, "tabA", Cluster)
	if idx := itemIndices(g.Items); !slices.Equal(idx, []int{0, 3, 6, 9}) || g.Items[0].Cluster != 0 {
		t.Fatalf("cluster 0 offered %v; want 0 3 6 9", idx)
	}
	var saved savedJSON
	body := jsonBody(map[string]any{"lease": g.Lease, "items": []map[string]any{{"index": 0, "label": "cat"}, {"index": 6, "label": "cat"}, {"index": 9, "label": "cat"}}})
	if status, b := ts.call(t, "POST", "/api/label", "tabA", body, &saved); status != http.StatusOK {
		t.Fatalf("label: %d %s", status, b)
	}
	if len(saved.Saved) != 3 || saved.State.Labeled != 3 || saved.State.Classes[0].Count != 3 || saved.Saved[0].Batch != saved.Saved[0].Seq {
		t.Fatalf("label answered %+v", saved)
	}
	// 3, left out of the grid, is offered again, now suggested cat.
	g = ts.next(t, "tabB", Cluster)
	if idx := itemIndices(g.Items); !slices.Equal(idx, []int{3}) || g.Items[0].Suggested != "cat" {
		t.Fatalf("after the grid's label the cluster offers %+v; want 3 suggested cat", g.Items)
	}
	// tabB skips it; its lease had only that example.
	if status, b := ts.call(t, "POST", "/api/skip", "tabB", jsonBody(map[string]any{"lease": g.Lease, "index": 3}), &saved); status != http.StatusOK || saved.State.Skipped != 1 {
		t.Fatalf("skip: %d %s", status, b)
	}
	g = ts.next(t, "tabB", Cluster)
	if idx := itemIndices(g.Items); !slices.Equal(idx, []int{1, 4, 7, 10}) {
		t.Fatalf("after the skip the cluster offers %v; want cluster 1", idx)
	}
	// A skip inside a grid keeps the rest of the lease.
	if status, b := ts.call(t, "POST", "/api/skip", "tabB", jsonBody(map[string]any{"lease": g.Lease, "index": 4}), nil); status != http.StatusOK {
		t.Fatalf("skip: %d %s", status, b)
	}
	if again := ts.next(t, "tabB", Cluster); again.Lease != g.Lease || !slices.Equal(itemIndices(again.Items), []int{1, 7, 10}) {
		t.Fatalf("after skipping 4 the page's lease holds %v; want 1 7 10", itemIndices(again.Items))
	}
	// tabA's undo takes back its whole grid (0, 6, 9), not tabB's skips,
	// and leases the three to tabA again, with the label they had.
	var u undoJSON
	if status, b := ts.call(t, "POST", "/api/undo", "tabA", "", &u); status != http.StatusOK {
		t.Fatalf("undo: %d %s", status, b)
	}
	if idx := indices(u.Undone); !slices.Equal(idx, []int{0, 6, 9}) || !slices.Equal(itemIndices(u.Group.Items), []int{0, 6, 9}) || u.Group.Items[0].Was != "cat" || u.State.Labeled != 0 || u.State.Skipped != 2 {
		t.Fatalf("undo answered %+v", u)
	}
	if got := readFile(t, ts.labels); got != "index,label\n" {
		t.Fatalf("labels file after the undo: %q", got)
	}
	if status, b := ts.call(t, "POST", "/api/undo", "tabA", "", nil); status != http.StatusConflict || !strings.Contains(b, "nothing to undo") {
		t.Fatalf("a second undo of tabA: %d %s; want 409 nothing to undo", status, b)
	}
	// Relabel two of the three with the undo's lease.
	body = jsonBody(map[string]any{"lease": u.Group.Lease, "items": []map[string]any{{"index": 0, "label": "dog"}, {"index": 9, "label": "cat"}}})
	if status, b := ts.call(t, "POST", "/api/label", "tabA", body, nil); status != http.StatusOK {
		t.Fatalf("label after undo: %d %s", status, b)
	}
	if got := readFile(t, ts.labels); got != "index,label\n0,dog\n9,cat\n" {
		t.Fatalf("labels file: %q", got)
	}
}

func itemIndices(items []itemJSON) []int {
	out := make([]int, len(items))
	for k, it := range items {
		out[k] = it.Index
	}
	return out
}

// TestMaxGroup: a cluster larger than MaxGroup is leased in parts.
func TestMaxGroup(t *testing.T) {
	p := imagePool(30)
	ts := newTestServer(t, p, ServerOptions{Strategy: Cluster, MaxGroup: 4})
	a, b := ts.next(t, "tabA", Cluster), ts.next(t, "tabB", Cluster)
	if !slices.Equal(itemIndices(a.Items), []int{0, 3, 6, 9}) || !slices.Equal(itemIndices(b.Items), []int{12, 15, 18, 21}) {
		t.Fatalf("leases %v and %v; want the first two parts of cluster 0", itemIndices(a.Items), itemIndices(b.Items))
	}
}

// TestBadRequests: wrong methods, bad JSON, unknown examples and classes
// get their status and a JSON error saying what is wrong; none is a 500.
func TestBadRequests(t *testing.T) {
	ts := newTestServer(t, imagePool(10), ServerOptions{MaxBody: 1 << 10})
	g := ts.next(t, "tabA", Random)
	held := g.Items[0].Index
	other := (held + 1) % 10
	lease := g.Lease
	for _, tc := range []struct {
		name, method, path, session, body string
		header                            [2]string
		status                            int
		msg                               string
	}{
		{name: "next by GET", method: "GET", path: "/api/next", status: 405, msg: "GET /api/next: method not allowed; use POST"},
		{name: "state by POST", method: "POST", path: "/api/state", status: 405, msg: "use GET, HEAD"},
		{name: "page by DELETE", method: "DELETE", path: "/", status: 405, msg: "use GET, HEAD"},
		{name: "label by PUT", method: "PUT", path: "/api/label", status: 405, msg: "use POST"},
		{name: "unknown path", method: "GET", path: "/api/labels", status: 404, msg: "no such page: GET /api/labels"},
		{name: "unknown static file", method: "GET", path: "/static/nope.js", status: 404, msg: "no such file"},
		{name: "bad JSON", method: "POST", path: "/api/label", body: `{"lease":`, status: 400, msg: "not the JSON this endpoint takes"},
		{name: "JSON of the wrong shape", method: "POST", path: "/api/label", body: `{"lease":"x","items":{"index":1}}`, status: 400, msg: "not the JSON this endpoint takes"},
		{name: "unknown field", method: "POST", path: "/api/label", body: `{"lease":"x","items":[],"label":"cat"}`, status: 400, msg: `unknown field "label"`},
		{name: "two values", method: "POST", path: "/api/label", body: `{"lease":"x"} {}`, status: 400, msg: "more than one JSON value"},
		{name: "no body", method: "POST", path: "/api/label", status: 400, msg: "no body"},
		{name: "no lease", method: "POST", path: "/api/label", body: `{"items":[{"index":1,"label":"cat"}]}`, status: 400, msg: "no lease"},
		{name: "no items", method: "POST", path: "/api/label", body: `{"lease":"x","items":[]}`, status: 400, msg: "no items"},
		{name: "an item without index", method: "POST", path: "/api/label", body: `{"lease":"x","items":[{"label":"cat"}]}`, status: 400, msg: "items[0]: no index"},
		{name: "unknown index", method: "POST", path: "/api/label", body: `{"lease":"x","items":[{"index":10,"label":"cat"}]}`, status: 400, msg: "items[0]: index 10: the data has 10 examples (indices 0 to 9)"},
		{name: "negative index", method: "POST", path: "/api/label", body: `{"lease":"x","items":[{"index":-1,"label":"cat"}]}`, status: 400, msg: "index -1"},
		{name: "unknown class", method: "POST", path: "/api/label", body: `{"lease":"x","items":[{"index":1,"label":"horse"}]}`, status: 400, msg: `label "horse" is not a class; the classes are cat, dog, bird`},
		{name: "a class index is no class name", method: "POST", path: "/api/label", body: `{"lease":"x","items":[{"index":1,"label":"0"}]}`, status: 400, msg: `label "0" is not a class`},
		{name: "index twice", method: "POST", path: "/api/label", body: fmt.Sprintf(`{"lease":%q,"items":[{"index":%d,"label":"cat"},{"index":%d,"label":"dog"}]}`, lease, held, held), session: "tabA", status: 400, msg: "is sent twice"},
		{name: "unknown lease", method: "POST", path: "/api/label", body: `{"lease":"nope","items":[{"index":1,"label":"cat"}]}`, status: 409, msg: "lease nope is not held"},
		{name: "index outside the lease", method: "POST", path: "/api/label", session: "tabA", body: fmt.Sprintf(`{"lease":%q,"items":[{"index":%d,"label":"cat"}]}`, lease, other), status: 409, msg: fmt.Sprintf("index %d is not in lease", other)},
		{name: "another page's lease", method: "POST", path: "/api/label", session: "tabB", body: fmt.Sprintf(`{"lease":%q,"items":[{"index":%d,"label":"cat"}]}`, lease, held), status: 409, msg: "belongs to another page"},
		{name: "skip without index", method: "POST", path: "/api/skip", body: `{"lease":"x"}`, status: 400, msg: "no index"},
		{name: "skip an unknown index", method: "POST", path: "/api/skip", body: `{"lease":"x","index":12}`, status: 400, msg: "index 12: the data has 10 examples"},
		{name: "skip outside the lease", method: "POST", path: "/api/skip", session: "tabA", body: fmt.Sprintf(`{"lease":%q,"index":%d}`, lease, other), status: 409, msg: "is not in lease"},
		{name: "unknown strategy", method: "POST", path: "/api/next?strategy=best", status: 400, msg: `strategy "best": want cluster, uncertain or random`},
		{name: "a strategy without its queue", method: "POST", path: "/api/next?strategy=uncertain", status: 400, msg: "strategy uncertain:"},
		{name: "next with a body", method: "POST", path: "/api/next", body: `{"strategy":"random"}`, status: 400, msg: "takes no body"},
		{name: "nothing to undo", method: "POST", path: "/api/undo", session: "tabZ", status: 409, msg: "nothing to undo: this page"},
		{name: "bad session", method: "POST", path: "/api/undo", session: "a b", status: 400, msg: "header X-Labeling-Session"},
		{name: "body over the limit", method: "POST", path: "/api/label", body: `{"lease":"` + strings.Repeat("x", 2000) + `"}`, status: 413, msg: "over this server's limit of 1024 bytes"},
		{name: "another site's request", method: "POST", path: "/api/undo", header: [2]string{"Origin", "http://evil.example"}, status: 403, msg: "from another site"},
		{name: "unknown example picture", method: "GET", path: "/api/example/10.png", status: 404, msg: "index 10"},
		{name: "not an example picture", method: "GET", path: "/api/example/1.jpg", status: 404, msg: "want /api/example/INDEX.png"},
		{name: "an index with a sign", method: "GET", path: "/api/example/+1.png", status: 404, msg: "want /api/example/INDEX.png"},
		{name: "a scale out of range", method: "GET", path: "/api/example/1.png?scale=0", status: 400, msg: "scale \"0\": want a whole number from 1 to 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader
			if tc.body != "" {
				r = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequest(tc.method, ts.url+tc.path, r)
			if tc.session != "" {
				req.Header.Set(SessionHeader, tc.session)
			}
			if tc.header[0] != "" {
				req.Header.Set(tc.header[0], tc.header[1])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var e struct{ Error string }
			b, _ := io.ReadAll(res.Body)
			if err := json.Unmarshal(b, &e); err != nil || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %q: want a JSON error", res.StatusCode, b)
			}
			if res.StatusCode != tc.status || !strings.Contains(e.Error, tc.msg) {
				t.Fatalf("%d %q; want %d saying %q", res.StatusCode, e.Error, tc.status, tc.msg)
			}
		})
	}
	if l := ts.j.Labels(); len(l) != 0 {
		t.Fatalf("bad requests recorded labels: %v", l)
	}
	// The lease survived every bad request.
	if status, b := ts.call(t, "POST", "/api/label", "tabA", fmt.Sprintf(`{"lease":%q,"items":[{"index":%d,"label":"bird"}]}`, lease, held), nil); status != http.StatusOK {
		t.Fatalf("a good label after the bad requests: %d %s", status, b)
	}
}

// TestExamplePicture: an image example is a PNG scaled up by whole
// pixels (nearest neighbour), on the source's value scale.
func TestExamplePicture(t *testing.T) {
	p := imagePool(10)
	ts := newTestServer(t, p, ServerOptions{})
	for _, tc := range []struct {
		query string
		scale int
	}{{"", 32}, {"?scale=3", 3}} { // 128 / 3 pixels rounded up, at most 32
		res, err := http.Get(ts.url + "/api/example/4.png" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(res.Body)
		res.Body.Close()
		if err != nil || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %v (%s)", tc.query, err, res.Header.Get("Content-Type"))
		}
		if b := img.Bounds(); b.Dx() != 3*tc.scale || b.Dy() != 2*tc.scale {
			t.Fatalf("%s: %v; want %d×%d", tc.query, b, 3*tc.scale, 2*tc.scale)
		}
		row := p.Data.Row(4)
		for y := range 2 {
			for x := range 3 {
				want := uint32(float64(row[y*3+x])/16*255 + 0.5)
				// Every pixel of the block is the example's pixel.
				for _, at := range [][2]int{{0, 0}, {tc.scale - 1, tc.scale - 1}, {tc.scale / 2, 0}} {
					r, g, b, _ := img.At(x*tc.scale+at[0], y*tc.scale+at[1]).RGBA()
					if r>>8 != want || g != r || b != r {
						t.Fatalf("%s: pixel (%d,%d) block offset %v is %d,%d,%d; want grey %d", tc.query, x, y, at, r>>8, g>>8, b>>8, want)
					}
				}
			}
		}
	}
}

// TestStateAndItems: the state's counts and keys; a tabular example's
// values (a missing one as null); the source's labels only when shown.
func TestStateAndItems(t *testing.T) {
	ts := newTestServer(t, tabularPool(6), ServerOptions{})
	var st stateJSON
	if status, b := ts.call(t, "GET", "/api/state", "", "", &st); status != http.StatusOK {
		t.Fatalf("state: %d %s", status, b)
	}
	if st.Total != 6 || st.Kind != "tabular" || st.Strategy != Random || st.ShowSourceLabels || len(st.Classes) != 2 || st.Classes[0] != (classJSON{Name: "no", Key: "0"}) || st.Classes[1].Key != "1" || st.LeaseSeconds != 600 {
		t.Fatalf("state %+v", st)
	}
	for range 6 {
		g := ts.next(t, "", Random)
		it := g.Items[0]
		if it.Image != "" || len(it.Features) != 2 || it.Features[0].Name != "age" || *it.Features[0].Value != float64(20+it.Index) || it.SourceLabel != "" {
			t.Fatalf("a tabular item: %+v", it)
		}
		if (it.Index == 1) != (it.Features[1].Value == nil) {
			t.Fatalf("item %d: income %v; want null only for the missing cell of row 1", it.Index, it.Features[1].Value)
		}
	}
	if status, b := ts.call(t, "GET", "/api/example/1.png", "", "", nil); status != http.StatusNotFound || !strings.Contains(b, "a row of values, not an image") {
		t.Fatalf("a tabular example's picture: %d %s", status, b)
	}

	shown := newTestServer(t, imagePool(6), ServerOptions{ShowSourceLabels: true})
	g := shown.next(t, "", Random)
	if want := []string{"cat", "dog", "bird"}[g.Items[0].Index%3]; g.Items[0].SourceLabel != want || g.Items[0].Image != fmt.Sprintf("/api/example/%d.png", g.Items[0].Index) || !g.State.ShowSourceLabels {
		t.Fatalf("with source labels shown: %+v; want source label %s", g.Items[0], want)
	}
}

func TestClassKeys(t *testing.T) {
	for _, tc := range []struct{ classes, keys []string }{
		{digitClasses, digitClasses},
		{[]string{"cat", "dog"}, []string{"0", "1"}},
		{[]string{"b", "a", "long", "S"}, []string{"b", "a", "0", "1"}},
		{[]string{"1", "x", "y", "0"}, []string{"1", "x", "y", "0"}},
	} {
		if got := ClassKeys(tc.classes); !slices.Equal(got, tc.keys) {
			t.Errorf("ClassKeys(%q) = %q; want %q", tc.classes, got, tc.keys)
		}
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf("class%d", i)
	}
	keys := ClassKeys(many)
	if keys[9] != "9" || keys[10] != "a" || keys[27] != "r" || keys[28] != "t" || keys[34] != "z" || keys[35] != "" || slices.Contains(keys, "s") {
		t.Fatalf("keys of 40 classes: %q; want 0-9, a-z without s, then none", keys)
	}
}

// TestServeDrainsAndRefusesForeignHosts: Serve on loopback refuses a Host
// that is not this machine (DNS rebinding), and on cancel finishes and
// closes the journal.
func TestServeDrainsAndRefusesForeignHosts(t *testing.T) {
	p := imagePool(6)
	labels := t.TempDir() + "/labels.csv"
	j, err := OpenJournal(labels, JournalOptions{N: 6, Classes: p.Data.Classes})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(p, j, ServerOptions{Strategy: Random})
	if err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	ln, err := Listen("127.0.0.1:0", slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	url := PageURL(ln)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/") || log.String() != "" {
		t.Fatalf("page URL %q, log %q", url, log.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	for _, tc := range []struct {
		host   string
		status int
	}{{"", 200}, {"localhost:8090", 200}, {"[::1]:8090", 200}, {"evil.example:8090", 403}, {"10.0.0.1", 403}} {
		req, _ := http.NewRequest("GET", url+"api/state", nil)
		if tc.host != "" {
			req.Host = tc.host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("Host %q: %d %s; want %d", tc.host, res.StatusCode, b, tc.status)
		}
	}
	page, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !bytes.Contains(html, []byte(`<script src="/static/app.js"`)) || !strings.Contains(page.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("the page: %s", html)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := j.Record("", Random, []Decision{{Index: 1, Action: ActionLabel, Label: "cat"}}); err == nil {
		t.Fatal("the journal is still open after Serve returned")
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("still listening after Serve returned")
	}
}

// TestListenWarnsBeyondLoopback: an address beyond this machine is
// served, with a warning that anyone who reaches it can label.
func TestListenWarnsBeyondLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		beyond bool
	}{{"127.0.0.1:8090", false}, {"localhost:8090", false}, {"[::1]:8090", false}, {":8090", true}, {"0.0.0.0:8090", true}, {"192.168.1.4:8090", true}, {"example.com:8090", true}} {
		if got := BeyondLoopback(tc.addr); got != tc.beyond {
			t.Errorf("BeyondLoopback(%q) = %v; want %v", tc.addr, got, tc.beyond)
		}
	}
	var log syncbuf.Buffer
	ln, err := Listen("0.0.0.0:0", slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Skipf("cannot listen on every interface here: %v", err)
	}
	defer ln.Close()
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "anyone who can reach it can label") {
		t.Fatalf("log %q; want the warning", log.String())
	}
	if url := PageURL(ln); !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("page URL %q; want the loopback address", url)
	}
	if _, err := Listen("127.0.0.1:-1", nil); err == nil || !strings.Contains(err.Error(), "--serve 127.0.0.1:-1") {
		t.Fatalf("a bad address: %v", err)
	}
}
