package setting

import (
	"errors"
	"testing"
)

func TestPrefixAndMap(t *testing.T) {
	plain := errors.New("the training split is empty")
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"one", Prefix("optimizer.", Errorf("lr", "must be > 0, got %v", -1.0)), "optimizer.lr must be > 0, got -1"},
		{"joined", Prefix("training.schedule.", errors.Join(Errorf("name", "must be cosine, got %q", "x"), Errorf("gamma", "must be in (0, 1), got 2"))),
			"training.schedule.name must be cosine, got \"x\"\ntraining.schedule.gamma must be in (0, 1), got 2"},
		{"plain errors pass through", Prefix("optimizer.", plain), "the training split is empty"},
		{"nil", Prefix("x.", nil), ""},
	}
	for _, c := range cases {
		got := ""
		if c.err != nil {
			got = c.err.Error()
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	var e *Error
	if err := Prefix("optimizer.", errors.Join(plain, Errorf("lr", "bad"))); !errors.As(err, &e) || e.Key != "optimizer.lr" {
		t.Errorf("errors.As after Prefix: %v", e)
	}
}
