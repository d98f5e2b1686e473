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
