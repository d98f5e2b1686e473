package feasibility

import (
	"fmt"
	"io"
)

// say writes one progress line when w is set.
func say(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
