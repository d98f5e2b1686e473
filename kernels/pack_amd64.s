#include "textflag.h"

// Packing helpers for the sgemm (pack_amd64.go). SSE only, which every
// amd64 CPU has: they move data, and only need to beat a scalar loop or a
// memmove call per row.

// func copyRows16(dst, src unsafe.Pointer, ld, k int)
// dst[kk·16 + j] = src[kk·ld + j] for kk < k, j < 16.
TEXT ·copyRows16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ k+24(FP), CX

copy16:
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	MOVUPS 32(SI), X2
	MOVUPS 48(SI), X3
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ   R8, SI
	ADDQ   $64, DI
	DECQ   CX
	JNZ    copy16
	RET

// func copyRows6(dst, src unsafe.Pointer, ld, k int)
// dst[kk·6 + j] = src[kk·ld + j] for kk < k, j < 6.
TEXT ·copyRows6(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ k+24(FP), CX

copy6:
	MOVUPS (SI), X0
	MOVQ   16(SI), X1
	MOVUPS X0, (DI)
	MOVQ   X1, 16(DI)
	ADDQ   R8, SI
	ADDQ   $24, DI
	DECQ   CX
	JNZ    copy6
	RET

// TRANSPOSE4 loads four values from each of four rows (row0, then ld,
// 2·ld, 3·ld bytes on; R8 = ld, R13 = 3·ld) and stores them as four
// columns of four, at off, off+stride, off+2·stride, off+3·stride from DI.
#define TRANSPOSE4(row0, off, stride) \
	MOVUPS   (row0), X0 \
	MOVUPS   (row0)(R8*1), X1 \
	MOVUPS   (row0)(R8*2), X2 \
	MOVUPS   (row0)(R13*1), X3 \
	MOVAPS   X0, X4 \
	UNPCKLPS X1, X4 \
	UNPCKHPS X1, X0 \
	MOVAPS   X2, X5 \
	UNPCKLPS X3, X5 \
	UNPCKHPS X3, X2 \
	MOVAPS   X4, X1 \
	MOVLHPS  X5, X1 \
	MOVHLPS  X4, X5 \
	MOVAPS   X0, X3 \
	MOVLHPS  X2, X3 \
	MOVHLPS  X0, X2 \
	MOVUPS   X1, off(DI) \
	MOVUPS   X5, off+stride(DI) \
	MOVUPS   X3, off+2*stride(DI) \
	MOVUPS   X2, off+3*stride(DI)

// func transpose16(dst, src unsafe.Pointer, ld, k4 int)
// dst[kk·16 + r] = src[r·ld + kk] for r < 16, kk < 4·k4: sixteen rows
// into a panel, in 4×4 blocks (UNPCKLPS/UNPCKHPS then MOVLHPS/MOVHLPS,
// the rows a b c d giving a0 b0 c0 d0, a1 b1 c1 d1, ...).
TEXT ·transpose16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ k4+24(FP), CX
	LEAQ (R8)(R8*2), R13
	LEAQ (SI)(R8*4), R9
	LEAQ (R9)(R8*4), R10
	LEAQ (R10)(R8*4), R11

t16:
	TRANSPOSE4(SI, 0, 64)
	TRANSPOSE4(R9, 16, 64)
	TRANSPOSE4(R10, 32, 64)
	TRANSPOSE4(R11, 48, 64)
	ADDQ $16, SI
	ADDQ $16, R9
	ADDQ $16, R10
	ADDQ $16, R11
	ADDQ $256, DI
	DECQ CX
	JNZ  t16
	RET

// func transpose6(dst, src unsafe.Pointer, ld, k4 int)
// dst[kk·6 + r] = src[r·ld + kk] for r < 6, kk < 4·k4: rows 0-3 as in
// transpose16, rows 4 and 5 interleaved in pairs (r4 r5 of one kk is
// eight bytes).
TEXT ·transpose6(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ k4+24(FP), CX
	LEAQ (R8)(R8*2), R13
	LEAQ (SI)(R8*4), R9

t6:
	TRANSPOSE4(SI, 0, 24)
	MOVUPS   (R9), X6
	MOVUPS   (R9)(R8*1), X7
	MOVAPS   X6, X8
	UNPCKLPS X7, X8
	UNPCKHPS X7, X6
	MOVQ     X8, 16(DI)
	MOVHPS   X8, 40(DI)
	MOVQ     X6, 64(DI)
	MOVHPS   X6, 88(DI)
	ADDQ     $16, SI
	ADDQ     $16, R9
	ADDQ     $96, DI
	DECQ     CX
	JNZ      t6
	RET
