#include "textflag.h"

// func biasReLUAVX(n int, y, b unsafe.Pointer, relu bool)
// y[j] += b[j] for n (a multiple of 8) values, then with relu
// y[j] = max(y[j], 0) as Go's max computes it: VMAXPS(y, 0) gives +0 for
// -0 and 0 for NaN, so NaN lanes are put back from y.
TEXT ·biasReLUAVX(SB), NOSPLIT, $0-25
	MOVQ    n+0(FP), CX
	MOVQ    y+8(FP), DI
	MOVQ    b+16(FP), SI
	MOVBLZX relu+24(FP), AX
	VXORPS  Y15, Y15, Y15
	SHRQ    $3, CX
	TESTL   AX, AX
	JNZ     reluloop

addloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     addloop
	VZEROUPPER
	RET

reluloop:
	VMOVUPS   (DI), Y0
	VADDPS    (SI), Y0, Y0
	VMAXPS    Y15, Y0, Y1    // Y1 = max(Y0, 0): 0 where Y0 is NaN or -0
	VCMPPS    $3, Y0, Y0, Y2 // unordered: NaN lanes
	VBLENDVPS Y2, Y0, Y1, Y1 // NaN lanes from Y0
	VMOVUPS   Y1, (DI)
	ADDQ      $32, DI
	ADDQ      $32, SI
	DECQ      CX
	JNZ       reluloop
	VZEROUPPER
	RET

// func addAVX(n int, dst, src unsafe.Pointer)
// dst[j] += src[j] for n (a multiple of 8) values.
TEXT ·addAVX(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	SHRQ $3, CX

addvloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     addvloop
	VZEROUPPER
	RET

// func addConstAVX(n int, dst unsafe.Pointer, v float32)
// dst[j] += v for n (a multiple of 8) values.
TEXT ·addConstAVX(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	VBROADCASTSS v+16(FP), Y1
	SHRQ         $3, CX

addcloop:
	VMOVUPS (DI), Y0
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addcloop
	VZEROUPPER
	RET
