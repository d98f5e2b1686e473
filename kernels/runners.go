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
	convForward32(x, w, b, out, n, c, h, wd, o, &k.forward, nil)
}

// ForwardPool is Forward followed by pool's Forward (2×2 max-pool, with
// relu the fused relu and max-pool) into y (n×o×h/2×w/2), image by image:
// each image's convolution is pooled while it is in cache, and the
// convolution's output is never written out. The values, and the
// windows' winners pool remembers, are those of the two passes.
func (k *Conv3x3Kernel) ForwardPool(x, w, b []float32, pool *MaxPool2x2Kernel, y []float32, n, c, h, wd, o int, relu bool) {
	per := o * (h / 2) * (wd / 2)
	arg := pool.codes(n * per)
	convForward32(x, w, b, nil, n, c, h, wd, o, &k.forward, func(img int, out []float32) {
		poolForwardPlanes(out, y[img*per:(img+1)*per], arg[img*per:(img+1)*per], 0, o, h, wd, relu)
	})
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

// BackwardPool is the backward pass of ForwardPool: from the pooled
// output's gradient dy (n×o×h/2×w/2) and pool's winners, it writes the
// input's gradient into dx (unless dx is nil: the first layer's is not
// needed), the filters' into dw and the bias's into db (unless nil),
// image by image without storing the convolution output's gradient. The
// values are those of pool's Backward, BackwardInput, BackwardFilter and
// ConvBiasGrad.
func (k *Conv3x3Kernel) BackwardPool(x, w, dy []float32, pool *MaxPool2x2Kernel, dx, dw, db []float32, n, c, h, wd, o int) {
	convBackwardPooled32(x, w, dy, pool.arg, dx, dw, db, n, c, h, wd, o, &k.input, &k.filter)
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
	poolForward32(x, y, k.codes(planes*(h/2)*(w/2)), planes, h, w, relu)
}

// codes returns the record of n windows' winners, grown to n.
func (k *MaxPool2x2Kernel) codes(n int) []uint8 {
	if cap(k.arg) < n {
		k.arg = make([]uint8, n)
	}
	k.arg = k.arg[:n]
	return k.arg
}

// Backward writes the input's gradient dx from the output's dy, for the
// windows of the last Forward.
func (k *MaxPool2x2Kernel) Backward(dy, dx []float32, planes, h, w int) {
	poolBackward32(dy, dx, k.arg, planes, h, w)
}
