#include "textflag.h"

// The 2x2 max-pool's forward and backward passes and col2im's sum over a
// 3x3 convolution's taps, sixteen outputs at a time with AVX-512. Each
// computes exactly what the plain loops in maxpool.go and conv.go compute,
// bit for bit: Go's max is replayed as the compiler emits it (negate both,
// MINPS twice, OR, negate), the comparisons are the ordered ones Go's >
// makes, and a sum over taps adds the same values in the same order, a
// tap that falls outside the image adding +0 (which, a sum started from
// +0 never being -0, changes no bit).

// even and odd lanes of a 32-value pair of registers (VPERMI2PS indices)
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

// interleaving two registers a, b: a0 b0 a1 b1 ... (low half, then high)
DATA poolZipLo<>+0(SB)/4, $0
DATA poolZipLo<>+4(SB)/4, $16
DATA poolZipLo<>+8(SB)/4, $1
DATA poolZipLo<>+12(SB)/4, $17
DATA poolZipLo<>+16(SB)/4, $2
DATA poolZipLo<>+20(SB)/4, $18
DATA poolZipLo<>+24(SB)/4, $3
DATA poolZipLo<>+28(SB)/4, $19
DATA poolZipLo<>+32(SB)/4, $4
DATA poolZipLo<>+36(SB)/4, $20
DATA poolZipLo<>+40(SB)/4, $5
DATA poolZipLo<>+44(SB)/4, $21
DATA poolZipLo<>+48(SB)/4, $6
DATA poolZipLo<>+52(SB)/4, $22
DATA poolZipLo<>+56(SB)/4, $7
DATA poolZipLo<>+60(SB)/4, $23
GLOBL poolZipLo<>(SB), RODATA|NOPTR, $64

DATA poolZipHi<>+0(SB)/4, $8
DATA poolZipHi<>+4(SB)/4, $24
DATA poolZipHi<>+8(SB)/4, $9
DATA poolZipHi<>+12(SB)/4, $25
DATA poolZipHi<>+16(SB)/4, $10
DATA poolZipHi<>+20(SB)/4, $26
DATA poolZipHi<>+24(SB)/4, $11
DATA poolZipHi<>+28(SB)/4, $27
DATA poolZipHi<>+32(SB)/4, $12
DATA poolZipHi<>+36(SB)/4, $28
DATA poolZipHi<>+40(SB)/4, $13
DATA poolZipHi<>+44(SB)/4, $29
DATA poolZipHi<>+48(SB)/4, $14
DATA poolZipHi<>+52(SB)/4, $30
DATA poolZipHi<>+56(SB)/4, $15
DATA poolZipHi<>+60(SB)/4, $31
GLOBL poolZipHi<>(SB), RODATA|NOPTR, $64

// GOMAX(x, y, dst, t) sets dst = Go's max(x, y) as the compiler emits it
// for amd64: a = -x, b = -y, m = MINPS(a, b) (a if a < b, else b),
// u = MINPS(m, a), dst = -(u | m); Z31 holds the sign bit. x and y are
// kept; t is scratch.
#define GOMAX(x, y, dst, t) \
	VPXORD Z31, x, t;   \
	VPXORD Z31, y, dst; \
	VMINPS dst, t, dst; \
	VMINPS t, dst, t;   \
	VPORD  t, dst, dst; \
	VPXORD Z31, dst, dst

// LOWBITS(n, tmp, k): k = the low min(n, 16) bits, for 0 ≤ n < 256 in
// register n (BZHI reads its low byte); tmp is scratch.
#define LOWBITS(n, tmp, k) \
	MOVL  $0xFFFF, tmp;  \
	BZHIL n, tmp, tmp;   \
	KMOVW tmp, k

// func poolForwardAVX512(in, out, arg unsafe.Pointer, oh, w, ow int, relu bool)
// One plane: for each of oh output rows and ow windows, out = the maximum
// of the 2x2 window (with relu, then max(·, 0)) and arg = the code of
// poolForwardPlanes: bits 0-1 the winner (the first maximum), bit 2 set
// when the gradient passes.
TEXT ·poolForwardAVX512(SB), NOSPLIT, $0-49
	MOVQ    in+0(FP), SI
	MOVQ    out+8(FP), DI
	MOVQ    arg+16(FP), R8
	MOVQ    oh+24(FP), R9
	MOVQ    w+32(FP), R10
	MOVQ    ow+40(FP), R11
	MOVBLZX relu+48(FP), AX
	SHLQ    $2, R10              // bytes per input row

	MOVL         $0x80000000, BX
	VPBROADCASTD BX, Z31
	VMOVDQU32    poolEven<>(SB), Z30
	VMOVDQU32    poolOdd<>(SB), Z29
	MOVL         $1, BX
	VPBROADCASTD BX, Z27
	MOVL         $2, BX
	VPBROADCASTD BX, Z26
	MOVL         $4, BX
	VPBROADCASTD BX, Z25

	// The relu's floor: 0, or -Inf without relu, where max(m, -Inf) is m
	// to the bit (NaN and -0 included); K7 makes every window pass
	// without relu.
	MOVL         $0xFF800000, BX
	MOVL         $0, CX
	MOVL         $0xFFFF, DX
	TESTL        AX, AX
	CMOVLNE      CX, BX
	CMOVLNE      CX, DX
	VPBROADCASTD BX, Z24
	KMOVW        DX, K7

prow:
	MOVQ SI, AX               // top input row
	LEAQ (SI)(R10*1), BX      // bottom input row
	MOVQ DI, CX
	MOVQ R8, DX
	MOVQ R11, R13             // windows left in the row

pchunk:
	MOVQ  R13, R14
	CMPQ  R14, $16
	JLE   pcount
	MOVQ  $16, R14

pcount:
	LOWBITS(R14, R12, K1)     // the windows
	LEAQ  (R14)(R14*1), R15
	LOWBITS(R15, R12, K2)     // their inputs' first register
	SUBQ  $16, R15
	MOVQ  $0, R12
	CMPQ  R15, $0
	CMOVQLT R12, R15
	LOWBITS(R15, R12, K3)     // and second

	VMOVUPS.Z (AX), K2, Z0
	VMOVUPS.Z 64(AX), K3, Z1
	VMOVUPS.Z (BX), K2, Z2
	VMOVUPS.Z 64(BX), K3, Z3
	VMOVDQA32 Z30, Z4
	VPERMI2PS Z1, Z0, Z4      // v0: top left
	VMOVDQA32 Z29, Z5
	VPERMI2PS Z1, Z0, Z5      // v1: top right
	VMOVDQA32 Z30, Z6
	VPERMI2PS Z3, Z2, Z6      // v2: bottom left
	VMOVDQA32 Z29, Z7
	VPERMI2PS Z3, Z2, Z7      // v3: bottom right

	VCMPPS $0x1e, Z4, Z5, K4  // v1 > v0
	VCMPPS $0x1e, Z6, Z7, K5  // v3 > v2
	GOMAX(Z4, Z5, Z8, Z12)    // m0
	GOMAX(Z6, Z7, Z9, Z12)    // m1
	VCMPPS $0x1e, Z8, Z9, K6  // m1 > m0: the bottom row wins
	GOMAX(Z8, Z9, Z10, Z12)   // m
	GOMAX(Z10, Z24, Z11, Z12) // max(m, floor)
	VCMPPS $0x1e, Z24, Z11, K2
	KORW   K7, K2, K2         // the gradient passes

	// winner: the bottom's (2 + (v3 > v2)) if the bottom wins, else (v1 > v0)
	KANDW         K5, K6, K5
	KANDNW        K4, K6, K4
	KORW          K4, K5, K4
	VMOVDQA32.Z   Z27, K4, Z12
	VPORD         Z26, Z12, K6, Z12
	VPORD         Z25, Z12, K2, Z12
	VPMOVDB       Z12, K1, (DX)
	VMOVUPS       Z11, K1, (CX)

	ADDQ $128, AX
	ADDQ $128, BX
	ADDQ $64, CX
	ADDQ $16, DX
	SUBQ $16, R13
	JG   pchunk

	LEAQ (SI)(R10*2), SI
	LEAQ (DI)(R11*4), DI
	ADDQ R11, R8
	DECQ R9
	JNZ  prow
	VZEROUPPER
	RET

// func poolBackwardAVX512(dy, dx, arg unsafe.Pointer, oh, w, ow int)
// One plane: every input of the oh×ow windows gets the window's dy times
// its pass bit if it won the window (arg's code), +0 if not, as
// poolBackwardPlanes's clear-then-scatter leaves it. The columns and row
// of an odd plane that belong to no window are not written.
TEXT ·poolBackwardAVX512(SB), NOSPLIT, $0-48
	MOVQ dy+0(FP), SI
	MOVQ dx+8(FP), DI
	MOVQ arg+16(FP), R8
	MOVQ oh+24(FP), R9
	MOVQ w+32(FP), R10
	MOVQ ow+40(FP), R11
	SHLQ $2, R10

	VMOVDQU32    poolZipLo<>(SB), Z30
	VMOVDQU32    poolZipHi<>(SB), Z29
	VPXORD       Z28, Z28, Z28
	MOVL         $1, BX
	VPBROADCASTD BX, Z27
	MOVL         $2, BX
	VPBROADCASTD BX, Z26
	MOVL         $3, BX
	VPBROADCASTD BX, Z25

brow:
	MOVQ SI, AX               // dy row
	MOVQ R8, DX               // arg row
	MOVQ DI, BX               // top output row
	LEAQ (DI)(R10*1), CX      // bottom output row
	MOVQ R11, R13

bchunk:
	MOVQ  R13, R14
	CMPQ  R14, $16
	JLE   bcount
	MOVQ  $16, R14

bcount:
	LOWBITS(R14, R12, K1)
	LEAQ  (R14)(R14*1), R15
	LOWBITS(R15, R12, K2)
	SUBQ  $16, R15
	MOVQ  $0, R12
	CMPQ  R15, $0
	CMOVQLT R12, R15
	LOWBITS(R15, R12, K3)

	VMOVUPS.Z   (AX), K1, Z0
	VPMOVZXBD.Z (DX), K1, Z1
	VPSRLD      $2, Z1, Z2
	VCVTDQ2PS   Z2, Z2
	VMULPS      Z2, Z0, Z0    // dy · pass
	VPANDD      Z25, Z1, Z1   // the winner
	VPCMPEQD    Z28, Z1, K4
	VPCMPEQD    Z27, Z1, K5
	VPCMPEQD    Z26, Z1, K6
	VPCMPEQD    Z25, Z1, K7
	VMOVAPS.Z   Z0, K4, Z4
	VMOVAPS.Z   Z0, K5, Z5
	VMOVAPS.Z   Z0, K6, Z6
	VMOVAPS.Z   Z0, K7, Z7
	VMOVDQA32   Z30, Z8
	VPERMI2PS   Z5, Z4, Z8
	VMOVDQA32   Z29, Z9
	VPERMI2PS   Z5, Z4, Z9
	VMOVDQA32   Z30, Z10
	VPERMI2PS   Z7, Z6, Z10
	VMOVDQA32   Z29, Z11
	VPERMI2PS   Z7, Z6, Z11
	VMOVUPS     Z8, K2, (BX)
	VMOVUPS     Z9, K3, 64(BX)
	VMOVUPS     Z10, K2, (CX)
	VMOVUPS     Z11, K3, 64(CX)

	ADDQ $64, AX
	ADDQ $16, DX
	ADDQ $128, BX
	ADDQ $128, CX
	SUBQ $16, R13
	JG   bchunk

	LEAQ (SI)(R11*4), SI
	ADDQ R11, R8
	LEAQ (DI)(R10*2), DI
	DECQ R9
	JNZ  brow
	VZEROUPPER
	RET

// func col2imAVX512(col, x unsafe.Pointer, c, h, w int)
// For each of c channels: x[si][sj] = the sum over the taps t = ki·3+kj,
// in order, of col[ch·9+t][(si-ki+1)·w + sj-kj+1] for the taps inside
// the image: what col2im's row-by-row additions into a cleared plane give.
TEXT ·col2imAVX512(SB), NOSPLIT, $0-40
	MOVQ col+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ c+16(FP), CX
	MOVQ h+24(FP), R8
	MOVQ w+32(FP), R9
	MOVQ R8, R10
	IMULQ R9, R10
	SHLQ $2, R10              // bytes per plane (hw·4)
	LEAQ (R10)(R10*1), R11    // 2·hw·4
	SHLQ $2, R9               // bytes per row

cplane:
	// the taps' rows: ki=0 reads row si+1, ki=2 row si-1
	LEAQ (SI)(R9*1), R12      // ki=0, shifted down a row
	LEAQ (R10)(R10*2), AX
	LEAQ (SI)(AX*1), R13      // ki=1: taps 3-5
	LEAQ (R13)(AX*1), R14
	SUBQ R9, R14              // ki=2: taps 6-8, shifted up a row
	XORQ AX, AX               // si
	XORQ DX, DX               // si·w·4

crow:
	XORQ BX, BX               // j0·4

cchunk:
	// lanes: kj=1 all columns left, kj=0 one fewer, kj=2 not column 0
	MOVQ    R9, R15
	SUBQ    BX, R15
	SHRQ    $2, R15           // w - j0, at most 17
	MOVQ    $17, R8
	CMPQ    R15, R8
	CMOVQGT R8, R15
	LOWBITS(R15, R8, K1)      // kj=1: the w - j0 columns left
	DECQ    R15
	LOWBITS(R15, R8, K2)      // kj=0: all but the last column
	KMOVW K1, R8
	TESTQ BX, BX
	JNZ   cmid
	ANDL  $0xFFFE, R8

cmid:
	KMOVW R8, K3

	VPXORD Z0, Z0, Z0
	LEAQ   (DX)(BX*1), R15    // si·w·4 + j0·4
	// ki = 0 if si+1 < h
	MOVQ   h+24(FP), R8
	DECQ   R8
	CMPQ   AX, R8
	JGE    ck1
	LEAQ   (R12)(R15*1), R8
	VADDPS 4(R8), Z0, K2, Z0
	VADDPS (R8)(R10*1), Z0, K1, Z0
	VADDPS -4(R8)(R11*1), Z0, K3, Z0

ck1:
	LEAQ   (R13)(R15*1), R8
	VADDPS 4(R8), Z0, K2, Z0
	VADDPS (R8)(R10*1), Z0, K1, Z0
	VADDPS -4(R8)(R11*1), Z0, K3, Z0
	TESTQ  AX, AX
	JZ     cstore
	LEAQ   (R14)(R15*1), R8
	VADDPS 4(R8), Z0, K2, Z0
	VADDPS (R8)(R10*1), Z0, K1, Z0
	VADDPS -4(R8)(R11*1), Z0, K3, Z0

cstore:
	VMOVUPS Z0, K1, (DI)(R15*1)
	ADDQ    $64, BX
	CMPQ    BX, R9
	JLT     cchunk

	ADDQ R9, DX
	INCQ AX
	CMPQ AX, h+24(FP)
	JLT  crow

	LEAQ (SI)(R10*8), SI
	ADDQ R10, SI              // the next channel's nine rows
	ADDQ R10, DI
	DECQ CX
	JNZ  cplane
	VZEROUPPER
	RET

// func poolTermsAVX512(dy, arg, terms unsafe.Pointer, oh, ow int)
// One plane: the values the backward pass scatters (dy times the window's
// pass bit), reordered as they lie in the input gradient, row-major: per
// output row, those of the windows won in their top row, in window order,
// then those won in their bottom row. Every window gives one value, so a
// plane gives oh·ow.
TEXT ·poolTermsAVX512(SB), NOSPLIT, $0-40
	MOVQ dy+0(FP), SI
	MOVQ arg+8(FP), R8
	MOVQ terms+16(FP), DI
	MOVQ oh+24(FP), R9
	MOVQ ow+32(FP), R11
	MOVL         $2, BX
	VPBROADCASTD BX, Z26

trow:
	// pass 0: the top row's winners; pass 1: the bottom row's
	XORQ R10, R10

tpass:
	MOVQ SI, AX
	MOVQ R8, DX
	MOVQ R11, R13

tchunk:
	MOVQ  R13, R14
	CMPQ  R14, $16
	JLE   tcount
	MOVQ  $16, R14

tcount:
	LOWBITS(R14, R12, K1)
	VMOVUPS.Z   (AX), K1, Z0
	VPMOVZXBD.Z (DX), K1, Z1
	VPSRLD      $2, Z1, Z2
	VCVTDQ2PS   Z2, Z2
	VMULPS      Z2, Z0, Z0
	VPTESTMD    Z26, Z1, K1, K2   // won in the bottom row
	TESTQ       R10, R10
	JNZ         tbottom
	KANDNW      K1, K2, K2        // won in the top row

tbottom:
	// compressed in a register and stored under a mask: AMD's Zen 4
	// compresses to memory slowly
	VCOMPRESSPS.Z Z0, K2, Z3
	KMOVW         K2, R12
	POPCNTL       R12, R12
	MOVL          $0xFFFF, R15
	BZHIL         R12, R15, R15
	KMOVW         R15, K3
	VMOVUPS       Z3, K3, (DI)
	LEAQ          (DI)(R12*4), DI
	ADDQ        $64, AX
	ADDQ        $16, DX
	SUBQ        $16, R13
	JG          tchunk

	INCQ R10
	CMPQ R10, $2
	JLT  tpass

	LEAQ (SI)(R11*4), SI
	ADDQ R11, R8
	DECQ R9
	JNZ  trow
	VZEROUPPER
	RET
