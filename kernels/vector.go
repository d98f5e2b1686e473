package kernels

import "golang.org/x/sys/cpu"

// The passes written in AVX-512 assembly run only where the CPU has it;
// elsewhere their plain Go loops do, with the same results.
var (
	// useGather: the convolutions gather their panels with AVX-512.
	useGather = hasAVX512()
	// usePoolVector: the 2x2 max-pool's passes and col2im run with
	// AVX-512 (and BMI2's BZHI for their lane masks).
	usePoolVector = hasAVX512() && cpu.X86.HasBMI2
)
