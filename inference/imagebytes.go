package inference

import (
	"fmt"

	"github.com/practica-ml/practica/data"
)

// ReadImageBytes converts the bytes of a PNG or JPEG file (an image sent
// to a server) to one example of the model's input, exactly as ReadImages
// converts the file holding them: the same limits, the training shape and
// the training scale. name stands for the image in messages. It reads only
// the checkpoint's input schema and the limits, never the model, so it may
// run while another goroutine predicts with p.
func (p *Predictor) ReadImageBytes(name string, b []byte) ([]float32, error) {
	in := p.Checkpoint.Input
	if in.Kind != data.Image {
		return nil, fmt.Errorf("%s: this model takes tabular rows, not images", name)
	}
	return p.Limits.DecodeImage(name, b, in.Shape, in.RawMax)
}
