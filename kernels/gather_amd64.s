#include "textflag.h"

// func gatherRows16AVX512(panel, padded, rows unsafe.Pointer, n int, cols unsafe.Pointer, mask uint16)
// For each of n rows: panel[kk*16+j] = padded[rows[kk] + cols[j]] for the
// lanes j set in mask, 0 in the others (16 int32 offsets in cols; unset
// lanes are never read).
TEXT ·gatherRows16AVX512(SB), NOSPLIT, $0-42
	MOVQ      panel+0(FP), DI
	MOVQ      padded+8(FP), SI
	MOVQ      rows+16(FP), R8
	MOVQ      n+24(FP), CX
	MOVQ      cols+32(FP), R9
	MOVWLZX   mask+40(FP), AX
	VMOVDQU32 (R9), Z1

loop:
	VPBROADCASTD (R8), Z2
	VPADDD       Z1, Z2, Z3
	KMOVW        AX, K1
	VPXORD       Z0, Z0, Z0
	VGATHERDPS   (SI)(Z3*4), K1, Z0
	VMOVUPS      Z0, (DI)
	ADDQ         $4, R8
	ADDQ         $64, DI
	DECQ         CX
	JNZ          loop
	VZEROUPPER
	RET

// func loadRowsRunsAVX512(panel, padded, rows unsafe.Pointer, n int, runs unsafe.Pointer, nruns int)
// What gatherRows16AVX512 computes, for columns that fall in nruns ≥ 1
// runs of consecutive offsets: run r (an int32 offset, an int32 lane mask)
// fills its lanes of row kk with one masked load from
// padded[rows[kk] + offset]; the lanes in no run are 0. Run by run over
// all rows: the first run writes whole rows (its lanes and zeros), the
// others their lanes only.
TEXT ·loadRowsRunsAVX512(SB), NOSPLIT, $0-48
	MOVQ panel+0(FP), DI
	MOVQ padded+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ runs+32(FP), R9
	MOVQ nruns+40(FP), R10

	MOVLQSX (R9), R11
	KMOVW   4(R9), K1
	LEAQ    (SI)(R11*4), R11
	MOVQ    DI, DX
	MOVQ    R8, BX
	MOVQ    CX, AX

rfirst:
	MOVLQSX   (BX), R12
	VMOVUPS.Z (R11)(R12*4), K1, Z0
	VMOVUPS   Z0, (DX)
	ADDQ      $4, BX
	ADDQ      $64, DX
	DECQ      AX
	JNZ       rfirst

	DECQ R10
	JZ   rdone

rnext:
	ADDQ    $8, R9
	MOVLQSX (R9), R11
	KMOVW   4(R9), K1
	LEAQ    (SI)(R11*4), R11
	MOVQ    DI, DX
	MOVQ    R8, BX
	MOVQ    CX, AX

rmore:
	MOVLQSX   (BX), R12
	VMOVUPS.Z (R11)(R12*4), K1, Z0
	VMOVUPS   Z0, K1, (DX)
	ADDQ      $4, BX
	ADDQ      $64, DX
	DECQ      AX
	JNZ       rmore
	DECQ      R10
	JNZ       rnext

rdone:
	VZEROUPPER
	RET

// func loadRows6RunsAVX512(panel, padded, rows unsafe.Pointer, n int, runs unsafe.Pointer)
// loadRowsRunsAVX512 for exactly six runs (runs with a zero mask load
// nothing), row by row: each row is six masked loads merged into one
// register, then one store.
TEXT ·loadRows6RunsAVX512(SB), NOSPLIT, $0-40
	MOVQ    panel+0(FP), DI
	MOVQ    padded+8(FP), SI
	MOVQ    rows+16(FP), R8
	MOVQ    n+24(FP), CX
	MOVQ    runs+32(FP), R9
	MOVLQSX 0(R9), R10
	KMOVW   4(R9), K1
	MOVLQSX 8(R9), R11
	KMOVW   12(R9), K2
	MOVLQSX 16(R9), R12
	KMOVW   20(R9), K3
	MOVLQSX 24(R9), R13
	KMOVW   28(R9), K4
	MOVLQSX 32(R9), R14
	KMOVW   36(R9), K5
	MOVLQSX 40(R9), R15
	KMOVW   44(R9), K6

r6row:
	MOVLQSX   (R8), AX
	LEAQ      (SI)(AX*4), AX
	VMOVUPS.Z (AX)(R10*4), K1, Z0
	VMOVUPS   (AX)(R11*4), K2, Z0
	VMOVUPS   (AX)(R12*4), K3, Z0
	VMOVUPS   (AX)(R13*4), K4, Z0
	VMOVUPS   (AX)(R14*4), K5, Z0
	VMOVUPS   (AX)(R15*4), K6, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $4, R8
	ADDQ      $64, DI
	DECQ      CX
	JNZ       r6row
	VZEROUPPER
	RET
