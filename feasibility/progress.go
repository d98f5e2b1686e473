package feasibility

import (
	"fmt"
	"io"
	"time"
)

// ticker writes a progress line at most every two seconds.
type ticker struct {
	w    io.Writer
	name string
	last time.Time
}

func newTicker(w io.Writer, name string) *ticker {
	return &ticker{w: w, name: name, last: time.Now()}
}

func (t *ticker) tick(step, steps int, loss float64) {
	if t == nil || t.w == nil || time.Since(t.last) < 2*time.Second {
		return
	}
	t.last = time.Now()
	fmt.Fprintf(t.w, "%s: step %d/%d  loss %.4g\n", t.name, step, steps, loss)
}

// say writes one line when w is set.
func say(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
