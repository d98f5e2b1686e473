package inference

import (
	"os"
	"testing"

	"github.com/practica-ml/practica/kernels"
)

// TestMain runs the tests on the matrix multiply the commands install.
func TestMain(m *testing.M) {
	kernels.Install()
	os.Exit(m.Run())
}
