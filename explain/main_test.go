package explain

import (
	"testing"

	"github.com/practica-ml/practica/internal/kerneltest"
)

// TestMain runs the tests on the matrix multiply the commands install.
func TestMain(m *testing.M) { kerneltest.Main(m) }
