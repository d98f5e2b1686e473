package kernels

// The kernels below run outside a gorgonia graph, on float32 slices, for
// an executor that lays out its own buffers (model's direct executor).
// They call the very functions the graph's ops call, so a model run
// either way gets the same bits.

// Conv3x3Kernel is a 3×3, stride-1, same-padding convolution with the
// memory it keeps between calls (packed filters, padded images): one per
// layer, used by one goroutine at a time.
type Conv3x3Kernel struct {
	forward, input, filter convScratch
}

// Forward writes the convolution of x (n×c×h×w) by w (o×c×3×3) plus the
// bias b (o values, or nil) into out (n×o×h×w).
func (k *Conv3x3Kernel) Forward(x, w, b, out []float32, n, c, h, wd, o int) {
	convForward32(x, w, b, out, n, c, h, wd, o, &k.forward)
}

// BackwardInput writes the gradient of the input into dx (n×c×h×w) from
// the filters and the output's gradient dy (n×o×h×w).
func (k *Conv3x3Kernel) BackwardInput(w, dy, dx []float32, n, c, h, wd, o int) {
	convBackwardInput32(w, dy, dx, n, c, o, h, wd, &k.input)
}

// BackwardFilter writes the filters' gradient into dw (o×c×3×3) from the
// input x and the output's gradient dy.
func (k *Conv3x3Kernel) BackwardFilter(x, dy, dw []float32, n, c, h, wd, o int) {
	convBackwardFilter32(x, dy, dw, n, c, h, wd, o, &k.filter)
}

// ConvBiasGrad writes the bias gradient of a convolution with o output
// channels of hw positions into db: dy summed over images and positions.
func ConvBiasGrad(dy, db []float32, n, o, hw int) { biasGrad(dy, db, n, o, hw) }

// MaxPool2x2Kernel is the 2×2, stride-2 max-pool (with relu: the fused
// relu and max-pool) with the window maxima it remembers for the
// backward pass.
type MaxPool2x2Kernel struct{ arg []uint8 }

// Forward pools planes h×w planes of x into y (planes of h/2×w/2).
func (k *MaxPool2x2Kernel) Forward(x, y []float32, planes, h, w int, relu bool) {
	n := planes * (h / 2) * (w / 2)
	if cap(k.arg) < n {
		k.arg = make([]uint8, n)
	}
	k.arg = k.arg[:n]
	poolForward32(x, y, k.arg, planes, h, w, relu)
}

// Backward writes the input's gradient dx from the output's dy, for the
// windows of the last Forward.
func (k *MaxPool2x2Kernel) Backward(dy, dx []float32, planes, h, w int) {
	poolBackward32(dy, dx, k.arg, planes, h, w)
}
