// Package model is the MEGABYTE byte model of mbzip (Yu et al. 2023,
// "Predicting Million-byte Sequences with Multiscale Transformers"): its
// configuration, its weights (one flat float32 arena, saved as safetensors),
// the teacher-forced batched forward pass and the incremental decoder that
// steps many independent streams in lock-step.
//
// # Architecture
//
// With P = PatchSize, e = GlobalDim/P and a window of W = ContextPatches·P
// bytes x_0 … x_{n−1} (n ≤ W):
//
//   - Global input. h_t = Eg[x_t] + Pg[t]. Patch 0 gets the learned pad
//     G_pad; patch k ≥ 1 gets concat(h_{(k−1)P} … h_{kP−1}), so that a patch
//     sees only the bytes of earlier patches. Only patches 0 … ⌈n/P⌉−1 are
//     computed.
//   - Global transformer: GlobalLayers pre-LayerNorm blocks
//     x += out(Attn(LN1(x))); x += fc2(GELU(fc1(LN2(x)))), causal over
//     patches, no final LayerNorm. The MLP's hidden width is
//     Config.GlobalMLP, 4·D_G when 0 (LocalMLP, 4·D_L, likewise). With
//     Config.HalfKV the attention's keys and values are rounded to binary16
//     (round to nearest even) as they are computed.
//   - Global → local: the D_G output of patch k is cut into P slices of
//     width e; slice p goes through Linear(e → D_L) to give g_{k,p}.
//   - Local input of byte t = kP+p: g_{k,p} + L_pad for p = 0, else
//     g_{k,p} + (El[x_{t−1}] + Pl[p]) (the parenthesised sum first).
//   - Local transformer: LocalLayers blocks of the same form, causal over
//     the P positions of one patch, then LayerNorm, Linear(D_L → 256) and
//     softmax: the distribution of byte t.
//
// Windows are independent: the context of byte t starts at
// ⌊t/W⌋·W, in Forward and in Batch alike.
//
// # Determinism
//
// Everything on the probability path is computed with package kernels
// (Linear, LayerNorm, Attention, GELU, Softmax) and plain float32 additions,
// never with math transcendentals, so that the probabilities are a pure
// function of the bytes and the weights on every GOARCH and build (DESIGN.md
// §2). Because kernels.Linear computes every output element as one
// kernels.Dot and kernels.Attention defines each query row the same way for a
// batched and an incremental call, Forward and Batch give bit-identical
// probabilities however the rows are stacked. The random initialisation is
// made from integers only, so that New(cfg, seed) gives the same weights
// everywhere: the untrained built-in model is itself on the probability path.
//
// # Concurrency
//
// A Model is read-only once built: any number of goroutines may call Forward
// and NewBatch on it at the same time (each call uses its own workspace).
// Model.Inference packs the Linear weights once for the kernels; its
// Forward and NewBatch give the same probabilities faster, for as long as
// the weights do not change (the codec runs every model that way).
// Forward and the methods of a Batch start no goroutines; callers parallelise
// across segments. A Batch must not be used by several goroutines at once.
package model
