#include "textflag.h"

// func adamAVX(n int, w, grad, m, v unsafe.Pointer, b1, b2, c1, c2, stepSize, invSqrtBC2, eps float32)
// Eight weights per iteration, each operation rounded separately (no
// fused multiply-add), in adamGo's order.
TEXT ·adamAVX(SB), NOSPLIT, $0-68
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS b2+44(FP), Y9
	VBROADCASTSS c1+48(FP), Y10
	VBROADCASTSS c2+52(FP), Y11
	VBROADCASTSS stepSize+56(FP), Y12
	VBROADCASTSS invSqrtBC2+60(FP), Y13
	VBROADCASTSS eps+64(FP), Y14
	VXORPS       Y15, Y15, Y15
	SHRQ         $3, CX

loop:
	VMOVUPS (SI), Y0      // g
	VMOVUPS (R8), Y1
	VMULPS  Y1, Y8, Y1    // b1·m
	VMULPS  Y0, Y10, Y2   // c1·g
	VADDPS  Y2, Y1, Y1    // m
	VMOVUPS Y1, (R8)
	VMOVUPS (R9), Y3
	VMULPS  Y3, Y9, Y3    // b2·v
	VMULPS  Y0, Y11, Y4   // c2·g
	VMULPS  Y0, Y4, Y4    // c2·g·g
	VADDPS  Y4, Y3, Y3    // v
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y4
	VMULPS  Y13, Y4, Y4   // √v·invSqrtBC2
	VADDPS  Y14, Y4, Y4   // + eps
	VMULPS  Y1, Y12, Y5   // stepSize·m
	VDIVPS  Y4, Y5, Y5    // ÷
	VMOVUPS (DI), Y6
	VSUBPS  Y5, Y6, Y6    // w −
	VMOVUPS Y6, (DI)
	VMOVUPS Y15, (SI)     // g ← 0
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     loop
	VZEROUPPER
	RET
