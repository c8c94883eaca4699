;; Multi-literal search over bytes with WebAssembly SIMD: a "Teddy"-style fingerprint filter
;; (the idea of Hyperscan's and Rust's aho-corasick Teddy; this is an independent implementation).
;; Up to 8 buckets of literals, up to 64 literals. For each of the first four bytes of a literal,
;; the low and the high nibble each select a byte of bucket bits; a position is a candidate when the
;; four bytes starting there agree on some bucket. Candidates are verified byte by byte.
;;
;; Memory layout (offsets in bytes), written by the host before a search:
;;   0..127     masks: for k = 0..3, lo_k at 32k (16 bytes), hi_k at 32k+16 (16 bytes)
;;   128..143   scratch: the candidate vector of one 16-byte block
;;   256..271   per bucket b: first index (u8 at 256+2b) and count (u8 at 257+2b) in the id list
;;   288..351   id list: literal ids (u8), grouped by bucket
;;   1024..     literal table: for id i at 1024+32i: offset (u32), length (u32), fold case (u32),
;;              guard byte (u32, 0: none), guard stop bytes (4 x u8, 0: unused), then the literal's
;;              first four bytes as a word test: case bits (u32, 0x20 where a folded letter is),
;;              mask (u32, 0xFF per byte the literal has) and the bytes themselves (u32, lower case)
;;   4096..     literal bytes (case-folded literals are stored in lower case)
;;   65536..    the haystack (the host's read buffer), followed by 64 bytes of slack
(module
  (memory (export "memory") 35 35)
  (global $mlo (mut i32) (i32.const 0))
  (global $mhi (mut i32) (i32.const 0))
  (func (export "maskLo") (result i32) (global.get $mlo))
  (func (export "maskHi") (result i32) (global.get $mhi))
  (global $lines (mut i32) (i32.const 0))
  (global $lastStart (mut i32) (i32.const 0))
  (global $lastEnd (mut i32) (i32.const 0))
  (func (export "skipped") (result i32) (global.get $lines))
  (func (export "lastStart") (result i32) (global.get $lastStart))
  (func (export "lastEnd") (result i32) (global.get $lastEnd))

  ;; From the line start $p, step over whole lines whose line break comes before $to, stopping at a
  ;; line that starts with '#', CR, LF or 0xEF (a preamble line, an empty line, a byte-order mark):
  ;; the host reads those itself. Returns where it stopped; skipped() counts the lines stepped over,
  ;; lastStart()/lastEnd() give the last one (its first byte and its line feed).
  (func (export "skip") (param $p i32) (param $to i32) (result i32)
    (local $q i32) (local $b i32) (local $bits i32) (local $nl v128) (local $n i32)
    (local.set $nl (i8x16.splat (i32.const 10)))
    (block $stop
      (loop $line
        (br_if $stop (i32.ge_u (local.get $p) (local.get $to)))
        (local.set $b (i32.load8_u (local.get $p)))
        (br_if $stop (i32.eq (local.get $b) (i32.const 35)))
        (br_if $stop (i32.eq (local.get $b) (i32.const 13)))
        (br_if $stop (i32.eq (local.get $b) (i32.const 10)))
        (br_if $stop (i32.eq (local.get $b) (i32.const 0xEF)))
        (local.set $q (local.get $p))
        (block $found
          (loop $blk
            (br_if $stop (i32.ge_u (local.get $q) (local.get $to)))
            (local.set $bits (i8x16.bitmask (i8x16.eq (v128.load (local.get $q)) (local.get $nl))))
            (if (local.get $bits)
              (then
                (local.set $q (i32.add (local.get $q) (i32.ctz (local.get $bits))))
                (br $found)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $blk)))
        (br_if $stop (i32.ge_u (local.get $q) (local.get $to)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (global.set $lastStart (local.get $p))
        (global.set $lastEnd (local.get $q))
        (local.set $p (i32.add (local.get $q) (i32.const 1)))
        (br $line)))
    (global.set $lines (local.get $n))
    (local.get $p))

  ;; Whether literal $id occurs at $pos entirely before $end. A guarded literal counts only when its
  ;; guard byte follows before a stop byte, a line break or $end (e.g. `Server~` then `/` before `~`).
  ;; The first four bytes are compared as one word first: most candidates fail there (the fingerprint
  ;; lets through whatever shares nibbles with some literal of the bucket). Setting the case bit of a
  ;; byte that is a folded letter makes either case agree; the byte loop below stays the exact test.
  (func $verify (param $pos i32) (param $end i32) (param $id i32) (result i32)
    (local $e i32) (local $off i32) (local $len i32) (local $fold i32) (local $j i32) (local $h i32)
    (local $need i32) (local $stops i32)
    (local.set $e (i32.add (i32.const 1024) (i32.shl (local.get $id) (i32.const 5))))
    (if (i32.ne
          (i32.and
            (i32.or (i32.load (local.get $pos)) (i32.load offset=20 (local.get $e)))
            (i32.load offset=24 (local.get $e)))
          (i32.load offset=28 (local.get $e)))
      (then (return (i32.const 0))))
    (local.set $off (i32.load (local.get $e)))
    (local.set $len (i32.load offset=4 (local.get $e)))
    (local.set $fold (i32.load offset=8 (local.get $e)))
    (local.set $need (i32.load offset=12 (local.get $e)))
    (local.set $stops (i32.load offset=16 (local.get $e)))
    (if (i32.gt_u (i32.add (local.get $pos) (local.get $len)) (local.get $end)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $len)))
        (local.set $h (i32.load8_u (i32.add (local.get $pos) (local.get $j))))
        (if (local.get $fold)
          (then
            (if (i32.lt_u (i32.sub (local.get $h) (i32.const 65)) (i32.const 26))
              (then (local.set $h (i32.or (local.get $h) (i32.const 32)))))))
        (if (i32.ne (local.get $h) (i32.load8_u (i32.add (local.get $off) (local.get $j))))
          (then (return (i32.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (if (i32.eqz (local.get $need)) (then (return (i32.const 1))))
    (local.set $j (i32.add (local.get $pos) (local.get $len)))
    (block $no
      (loop $scan
        (br_if $no (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $h (i32.load8_u (local.get $j)))
        (if (i32.eq (local.get $h) (local.get $need)) (then (return (i32.const 1))))
        (br_if $no (i32.eq (local.get $h) (i32.const 10)))
        (br_if $no (i32.eq (local.get $h) (i32.const 13)))
        (br_if $no (i32.eq (local.get $h) (i32.and (local.get $stops) (i32.const 255))))
        (br_if $no (i32.eq (local.get $h) (i32.and (i32.shr_u (local.get $stops) (i32.const 8)) (i32.const 255))))
        (br_if $no (i32.eq (local.get $h) (i32.and (i32.shr_u (local.get $stops) (i32.const 16)) (i32.const 255))))
        (br_if $no (i32.eq (local.get $h) (i32.shr_u (local.get $stops) (i32.const 24))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scan)))
    (i32.const 0))

  ;; Verify every literal of the buckets in $bits at $pos; sets $mlo/$mhi; returns whether any matched.
  (func $check (param $pos i32) (param $end i32) (param $bits i32) (result i32)
    (local $b i32) (local $i i32) (local $n i32) (local $id i32)
    (global.set $mlo (i32.const 0))
    (global.set $mhi (i32.const 0))
    (block $out
      (loop $bucket
        (br_if $out (i32.eqz (local.get $bits)))
        (local.set $b (i32.ctz (local.get $bits)))
        (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
        (local.set $i (i32.load8_u (i32.add (i32.const 256) (i32.shl (local.get $b) (i32.const 1)))))
        (local.set $n (i32.add (local.get $i)
          (i32.load8_u (i32.add (i32.const 257) (i32.shl (local.get $b) (i32.const 1))))))
        (block $lits
          (loop $lit
            (br_if $lits (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $id (i32.load8_u (i32.add (i32.const 288) (local.get $i))))
            (if (call $verify (local.get $pos) (local.get $end) (local.get $id))
              (then
                (if (i32.lt_u (local.get $id) (i32.const 32))
                  (then (global.set $mlo (i32.or (global.get $mlo) (i32.shl (i32.const 1) (local.get $id)))))
                  (else (global.set $mhi (i32.or (global.get $mhi)
                    (i32.shl (i32.const 1) (i32.sub (local.get $id) (i32.const 32)))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $lit)))
        (br $bucket)))
    (i32.or (global.get $mlo) (global.get $mhi)))

  ;; The first position p in [$from, $end) where some literal occurs entirely before $end, or -1.
  ;; maskLo()/maskHi() then tell which literals occur there (bit i: literal i).
  (func (export "next") (param $from i32) (param $end i32) (result i32)
    (local $p i32) (local $v v128) (local $c v128) (local $nib v128)
    (local $lo0 v128) (local $hi0 v128) (local $lo1 v128) (local $hi1 v128)
    (local $lo2 v128) (local $hi2 v128) (local $lo3 v128) (local $hi3 v128)
    (local $lanes i32) (local $lane i32) (local $q i32)
    (local.set $nib (i8x16.splat (i32.const 15)))
    (local.set $lo0 (v128.load (i32.const 0)))
    (local.set $hi0 (v128.load (i32.const 16)))
    (local.set $lo1 (v128.load (i32.const 32)))
    (local.set $hi1 (v128.load (i32.const 48)))
    (local.set $lo2 (v128.load (i32.const 64)))
    (local.set $hi2 (v128.load (i32.const 80)))
    (local.set $lo3 (v128.load (i32.const 96)))
    (local.set $hi3 (v128.load (i32.const 112)))
    (local.set $p (local.get $from))
    (block $none
      (loop $block
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $c (v128.and
          (i8x16.swizzle (local.get $lo0) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $hi0) (i8x16.shr_u (local.get $v) (i32.const 4)))))
        (local.set $v (v128.load offset=1 (local.get $p)))
        (local.set $c (v128.and (local.get $c) (v128.and
          (i8x16.swizzle (local.get $lo1) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $hi1) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (local.set $v (v128.load offset=2 (local.get $p)))
        (local.set $c (v128.and (local.get $c) (v128.and
          (i8x16.swizzle (local.get $lo2) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $hi2) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (local.set $v (v128.load offset=3 (local.get $p)))
        (local.set $c (v128.and (local.get $c) (v128.and
          (i8x16.swizzle (local.get $lo3) (v128.and (local.get $v) (local.get $nib)))
          (i8x16.swizzle (local.get $hi3) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (if (v128.any_true (local.get $c))
          (then
            (v128.store (i32.const 128) (local.get $c))
            (local.set $lanes (i8x16.bitmask (i8x16.ne (local.get $c) (v128.const i32x4 0 0 0 0))))
            (block $lanesDone
              (loop $eachLane
                (br_if $lanesDone (i32.eqz (local.get $lanes)))
                (local.set $lane (i32.ctz (local.get $lanes)))
                (local.set $lanes (i32.and (local.get $lanes) (i32.sub (local.get $lanes) (i32.const 1))))
                (local.set $q (i32.add (local.get $p) (local.get $lane)))
                (br_if $none (i32.ge_u (local.get $q) (local.get $end)))
                (if (call $check (local.get $q) (local.get $end)
                      (i32.load8_u (i32.add (i32.const 128) (local.get $lane))))
                  (then (return (local.get $q))))
                (br $eachLane)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    (i32.const -1))
)
