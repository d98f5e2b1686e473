package kernels

// useGather: the convolutions gather their panels with AVX-512.
var useGather = hasAVX512()
