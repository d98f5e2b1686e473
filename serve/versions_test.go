package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// cardOf is a card naming a version, to tell versions apart.
func cardOf(v int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"release": %d}`, v)) }

// releaseOf reads which version answered GET path, from its card.
func releaseOf(t *testing.T, s *Server, path string) (int, int) {
	t.Helper()
	status, _, body := call(t, s.Handler(), http.MethodGet, path, nil)
	var m struct{ Parameters struct{ Release int } }
	if status == 200 {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
	}
	return status, m.Parameters.Release
}

// TestVersionsRouting: an unversioned route answers with the highest
// version, a versioned one with that version, and an inference says which
// version answered.
func TestVersionsRouting(t *testing.T) {
	dir := cancerRun(t)
	var models []*Model
	for _, v := range []int{2, 10, 1} {
		models = append(models, &Model{Name: "bc", Version: v, Predictor: load(t, dir), Card: cardOf(v)})
	}
	s := newServer(t, Options{}, models...)
	cases := []struct {
		path        string
		wantStatus  int
		wantRelease int
	}{
		{"/v2/models/bc", 200, 10},
		{"/v2/models/bc/versions/1", 200, 1},
		{"/v2/models/bc/versions/2", 200, 2},
		{"/v2/models/bc/versions/10", 200, 10},
		{"/v2/models/bc/versions/010", 200, 10},
		{"/v2/models/bc/versions/3", 404, 0},
		{"/v2/models/bc/versions/-1", 404, 0},
	}
	for _, tc := range cases {
		if status, release := releaseOf(t, s, tc.path); status != tc.wantStatus || release != tc.wantRelease {
			t.Errorf("GET %s: %d, release %d; want %d, %d", tc.path, status, release, tc.wantStatus, tc.wantRelease)
		}
	}
	status, _, body := call(t, s.Handler(), http.MethodGet, "/v2/models/bc", nil)
	if status != 200 || !strings.Contains(string(body), `"versions":["1","2","10"]`) {
		t.Errorf("versions listed: %s", body)
	}
	x := testSplit(t, dir).X[:30]
	for path, want := range map[string]string{"/v2/models/bc/infer": "10", "/v2/models/bc/versions/2/infer": "2"} {
		if r := infer(t, s.Handler(), path, rowsRequest(x, 30)); r.ModelVersion != want {
			t.Errorf("POST %s answered by version %s, want %s", path, r.ModelVersion, want)
		}
	}
}

// TestReload: a reload swaps in the loader's new set (a version added,
// one removed); a loader that fails for some models serves the rest and
// says which failed; one that fails entirely leaves the served set as it
// was; models the server cannot serve are named and skipped.
func TestReload(t *testing.T) {
	dir := cancerRun(t)
	model := func(name string, v int) *Model {
		return &Model{Name: name, Version: v, Predictor: load(t, dir), Card: cardOf(v)}
	}
	type loaded struct {
		models []*Model
		err    error
	}
	steps := []struct {
		name    string
		load    loaded
		wantErr string
		// want maps each path to the release it must answer with (0: 404).
		want map[string]int
	}{
		{"start", loaded{[]*Model{model("bc", 1)}, nil}, "",
			map[string]int{"/v2/models/bc": 1, "/v2/models/bc/versions/1": 1}},
		{"version 2 added", loaded{[]*Model{model("bc", 1), model("bc", 2)}, nil}, "",
			map[string]int{"/v2/models/bc": 2, "/v2/models/bc/versions/1": 1, "/v2/models/bc/versions/2": 2}},
		{"version 1 removed", loaded{[]*Model{model("bc", 2)}, nil}, "",
			map[string]int{"/v2/models/bc": 2, "/v2/models/bc/versions/1": 0}},
		{"loader fails entirely", loaded{nil, errors.New("repository unreadable")}, "repository unreadable (still serving the previous models)",
			map[string]int{"/v2/models/bc": 2, "/v2/models/bc/versions/1": 0}},
		{"loader fails for one model", loaded{[]*Model{model("bc", 3)}, errors.New(`model "other": no best.ckpt`)}, `model "other": no best.ckpt`,
			map[string]int{"/v2/models/bc": 3, "/v2/models/bc/versions/2": 0}},
		{"unservable models skipped", loaded{[]*Model{model("bc", 3), model("bc/../x", 1), model("bc", 0), model("bc", 3), {Name: "card", Version: 1, Predictor: load(t, dir), Card: json.RawMessage(`[1]`)}}, nil},
			`the model name "bc/../x" is not a letter or digit followed by`,
			map[string]int{"/v2/models/bc": 3, "/v2/models/card": 0}},
	}
	i := 0
	s, err := New(func() ([]*Model, error) { l := steps[i].load; return l.models, l.err }, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for ; i < len(steps); i++ {
		step := steps[i]
		if i > 0 {
			err := s.Reload()
			if (err == nil) != (step.wantErr == "") || err != nil && !strings.Contains(err.Error(), step.wantErr) {
				t.Fatalf("%s: Reload() = %v, want an error containing %q", step.name, err, step.wantErr)
			}
		}
		for path, want := range step.want {
			status, release := releaseOf(t, s, path)
			if want == 0 && status != 404 || want != 0 && (status != 200 || release != want) {
				t.Errorf("%s: GET %s: %d, release %d; want release %d", step.name, path, status, release, want)
			}
		}
	}
	// The skipped models' reasons, all named.
	_, err = newModelSet(steps[5].load.models)
	for _, want := range []string{`model "bc": version 0; versions count from 1`, `model "bc" version 3 is given twice`, `model "card" version 1: its card is not a JSON object`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("skipped models: %v; want %q", err, want)
		}
	}
	// A closed server reloads nothing.
	s.Close()
	if err := s.Reload(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Reload after Close: %v", err)
	}
}

// TestNewRefuses: a loader that fails entirely, and bad options, are
// errors of New.
func TestNewRefuses(t *testing.T) {
	cases := []struct {
		name string
		load Loader
		opt  Options
		want string
	}{
		{"loader fails", func() ([]*Model, error) { return nil, errors.New("no such directory") }, Options{}, "no such directory"},
		{"no loader", nil, Options{}, "no loader"},
		{"negative batch", func() ([]*Model, error) { return nil, nil }, Options{MaxBatch: -1}, "serve.Options.MaxBatch is -1"},
		{"negative window", func() ([]*Model, error) { return nil, nil }, Options{BatchWindow: -1}, "serve.Options.BatchWindow is -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.load, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) || s != nil {
				t.Fatalf("New: %v, %v; want an error containing %q", s, err, tc.want)
			}
		})
	}
}
