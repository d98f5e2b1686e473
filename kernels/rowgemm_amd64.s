#include "textflag.h"

// func rowKernel64AVX2(k int, a, b, c unsafe.Pointer, ldb int, alpha float32, overwrite bool)
// One row of C, 64 columns: Y4..Y11 accumulate a[kk]·B[kk, 0:64] over k
// steps (B read in place, rows ldb apart), one fused multiply-add per
// element per step in k order, as the 6×16 kernel does; then C += alpha·acc
// (fused) or, with overwrite, C = alpha·acc.
TEXT ·rowKernel64AVX2(SB), NOSPLIT, $0-45
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldb+32(FP), R8
	SHLQ $2, R8
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

loop64:
	VBROADCASTSS (SI), Y0
	VFMADD231PS  (DI), Y0, Y4
	VFMADD231PS  32(DI), Y0, Y5
	VFMADD231PS  64(DI), Y0, Y6
	VFMADD231PS  96(DI), Y0, Y7
	VFMADD231PS  128(DI), Y0, Y8
	VFMADD231PS  160(DI), Y0, Y9
	VFMADD231PS  192(DI), Y0, Y10
	VFMADD231PS  224(DI), Y0, Y11
	ADDQ         $4, SI
	ADDQ         R8, DI
	DECQ         CX
	JNZ          loop64

	VBROADCASTSS alpha+40(FP), Y2
	MOVBLZX      overwrite+44(FP), AX
	TESTL        AX, AX
	JNZ          store64
	VMOVUPS      (DX), Y0
	VFMADD231PS  Y4, Y2, Y0
	VMOVUPS      Y0, (DX)
	VMOVUPS      32(DX), Y0
	VFMADD231PS  Y5, Y2, Y0
	VMOVUPS      Y0, 32(DX)
	VMOVUPS      64(DX), Y0
	VFMADD231PS  Y6, Y2, Y0
	VMOVUPS      Y0, 64(DX)
	VMOVUPS      96(DX), Y0
	VFMADD231PS  Y7, Y2, Y0
	VMOVUPS      Y0, 96(DX)
	VMOVUPS      128(DX), Y0
	VFMADD231PS  Y8, Y2, Y0
	VMOVUPS      Y0, 128(DX)
	VMOVUPS      160(DX), Y0
	VFMADD231PS  Y9, Y2, Y0
	VMOVUPS      Y0, 160(DX)
	VMOVUPS      192(DX), Y0
	VFMADD231PS  Y10, Y2, Y0
	VMOVUPS      Y0, 192(DX)
	VMOVUPS      224(DX), Y0
	VFMADD231PS  Y11, Y2, Y0
	VMOVUPS      Y0, 224(DX)
	VZEROUPPER
	RET

store64:
	VMULPS  Y4, Y2, Y0
	VMOVUPS Y0, (DX)
	VMULPS  Y5, Y2, Y0
	VMOVUPS Y0, 32(DX)
	VMULPS  Y6, Y2, Y0
	VMOVUPS Y0, 64(DX)
	VMULPS  Y7, Y2, Y0
	VMOVUPS Y0, 96(DX)
	VMULPS  Y8, Y2, Y0
	VMOVUPS Y0, 128(DX)
	VMULPS  Y9, Y2, Y0
	VMOVUPS Y0, 160(DX)
	VMULPS  Y10, Y2, Y0
	VMOVUPS Y0, 192(DX)
	VMULPS  Y11, Y2, Y0
	VMOVUPS Y0, 224(DX)
	VZEROUPPER
	RET

// func rowKernel8AVX2(k int, a, b, c unsafe.Pointer, ldb int, alpha float32, overwrite bool)
// rowKernel64AVX2 for 8 columns.
TEXT ·rowKernel8AVX2(SB), NOSPLIT, $0-45
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldb+32(FP), R8
	SHLQ $2, R8
	VXORPS Y4, Y4, Y4

loop8:
	VBROADCASTSS (SI), Y0
	VFMADD231PS  (DI), Y0, Y4
	ADDQ         $4, SI
	ADDQ         R8, DI
	DECQ         CX
	JNZ          loop8

	VBROADCASTSS alpha+40(FP), Y2
	MOVBLZX      overwrite+44(FP), AX
	TESTL        AX, AX
	JNZ          store8
	VMOVUPS      (DX), Y0
	VFMADD231PS  Y4, Y2, Y0
	VMOVUPS      Y0, (DX)
	VZEROUPPER
	RET

store8:
	VMULPS  Y4, Y2, Y0
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET
