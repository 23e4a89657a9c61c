#!/usr/bin/env python3
"""An independent PyTorch MEGABYTE with mbzip's architecture and tensor names.

Two uses, neither shipped:

  check MODEL.safetensors FILE   bits per byte of FILE's first window under the
                                 model, in float64, to compare with
                                 `mbzip inspect --model MODEL FILE` (same windows)
  bench [--threads T] [--batch B] [--steps N] [--config ref]
                                 training throughput (forward + backward + AdamW)
                                 of a randomly initialised model on random
                                 windows, in bytes per second: the yardstick
                                 for `mbzip train` on the same cores.

Written from the paper (Yu et al. 2023) and model/doc.go; shares no code with
the Go model. Needs only torch (Debian: python3-torch).
"""
import json, math, struct, sys, time

import torch
import torch.nn.functional as F

CONFIGS = {
    "tiny": dict(patch_size=4, global_dim=32, global_layers=1, global_heads=2, local_dim=16, local_layers=1, local_heads=1, context_patches=16),
    "small": dict(patch_size=8, global_dim=128, global_layers=2, global_heads=2, local_dim=64, local_layers=1, local_heads=1, context_patches=128),
    "ref": dict(patch_size=8, global_dim=256, global_layers=4, global_heads=4, local_dim=96, local_layers=2, local_heads=2, context_patches=256),
}


def load_safetensors(path, dtype):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    t = {}
    for name, v in header.items():
        s, e = v["data_offsets"]
        t[name] = torch.frombuffer(bytearray(data[s:e]), dtype=torch.float32).reshape(v["shape"]).to(dtype)
    return t, json.loads(meta["config"])


def shapes(c):
    P, DG, DL = c["patch_size"], c["global_dim"], c["local_dim"]
    e, W = DG // P, c["context_patches"] * P
    s = {"global.embed": (256, e), "global.pos": (W, e), "global.pad": (DG,)}

    def blocks(prefix, n, d):
        for i in range(n):
            p = f"{prefix}{i}."
            s.update({p + "ln1.weight": (d,), p + "ln1.bias": (d,), p + "attn.qkv.weight": (3 * d, d), p + "attn.qkv.bias": (3 * d,),
                      p + "attn.out.weight": (d, d), p + "attn.out.bias": (d,), p + "ln2.weight": (d,), p + "ln2.bias": (d,),
                      p + "mlp.fc1.weight": (4 * d, d), p + "mlp.fc1.bias": (4 * d,), p + "mlp.fc2.weight": (d, 4 * d), p + "mlp.fc2.bias": (d,)})

    blocks("global.blocks.", c["global_layers"], DG)
    s.update({"g2l.weight": (DL, e), "g2l.bias": (DL,), "local.embed": (256, DL), "local.pos": (P, DL), "local.pad": (DL,)})
    blocks("local.blocks.", c["local_layers"], DL)
    s.update({"local.ln_f.weight": (DL,), "local.ln_f.bias": (DL,), "head.weight": (256, DL), "head.bias": (256,)})
    return s


def random_params(c, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = {}
    for name, shape in shapes(c).items():
        if name.endswith("ln1.weight") or name.endswith("ln2.weight") or name.endswith("ln_f.weight"):
            v = torch.ones(shape)
        elif name.endswith(".bias"):
            v = torch.zeros(shape)
        else:
            v = torch.randn(shape, generator=g) * 0.02
        t[name] = v.requires_grad_(True)
    return t


def block(t, pre, x, heads):
    D = x.shape[-1]
    hd = D // heads
    a = F.layer_norm(x, (D,), t[pre + "ln1.weight"], t[pre + "ln1.bias"], 1e-5)
    q, k, v = F.linear(a, t[pre + "attn.qkv.weight"], t[pre + "attn.qkv.bias"]).split(D, -1)
    T = x.shape[-2]

    def split(z):
        return z.reshape(*z.shape[:-1], heads, hd).transpose(-2, -3)

    q, k, v = split(q), split(k), split(v)
    att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    att = att.masked_fill(mask, float("-inf")).softmax(-1)
    o = (att @ v).transpose(-2, -3).reshape(x.shape)
    x = x + F.linear(o, t[pre + "attn.out.weight"], t[pre + "attn.out.bias"])
    a = F.layer_norm(x, (D,), t[pre + "ln2.weight"], t[pre + "ln2.bias"], 1e-5)
    h = F.gelu(F.linear(a, t[pre + "mlp.fc1.weight"], t[pre + "mlp.fc1.bias"]), approximate="tanh")
    return x + F.linear(h, t[pre + "mlp.fc2.weight"], t[pre + "mlp.fc2.bias"])


def forward(t, c, x):
    """Logits (B, W, 256) of every byte of the windows x (B, W), W a multiple of P."""
    B, W = x.shape
    P, DG, DL = c["patch_size"], c["global_dim"], c["local_dim"]
    e, K = DG // P, W // P
    h = (t["global.embed"][x] + t["global.pos"][:W]).reshape(B, K, DG)
    g = torch.cat([t["global.pad"].expand(B, 1, DG), h[:, :-1]], 1)
    for i in range(c["global_layers"]):
        g = block(t, f"global.blocks.{i}.", g, c["global_heads"])
    g = F.linear(g.reshape(B, W, e), t["g2l.weight"], t["g2l.bias"]).reshape(B, K, P, DL)
    prev = torch.cat([torch.zeros(B, 1, dtype=x.dtype), x[:, :-1]], 1)
    le = (t["local.embed"][prev].reshape(B, K, P, DL) + t["local.pos"])
    le = torch.cat([t["local.pad"].expand(B, K, 1, DL), le[:, :, 1:]], 2)
    y = (g + le).reshape(B * K, P, DL)
    for i in range(c["local_layers"]):
        y = block(t, f"local.blocks.{i}.", y, c["local_heads"])
    y = F.layer_norm(y, (DL,), t["local.ln_f.weight"], t["local.ln_f.bias"], 1e-5)
    return F.linear(y, t["head.weight"], t["head.bias"]).reshape(B, W, 256)


def check(model_path, file_path):
    t, c = load_safetensors(model_path, torch.float64)
    W = c["patch_size"] * c["context_patches"]
    data = open(file_path, "rb").read()[:W]
    n = len(data) - len(data) % c["patch_size"]
    x = torch.tensor(list(data[:n]), dtype=torch.long).unsqueeze(0)
    with torch.no_grad():
        logp = forward(t, c, x).log_softmax(-1)[0]
    bits = -logp[torch.arange(n), x[0]].sum().item() / math.log(2)
    print(f"{file_path}: {n} bytes, {bits / n:.6f} bits per byte (float64 PyTorch)")


def bench(threads, batch, steps, config):
    torch.set_num_threads(threads)
    c = CONFIGS[config]
    W = c["patch_size"] * c["context_patches"]
    t = random_params(c)
    opt = torch.optim.AdamW(list(t.values()), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    g = torch.Generator().manual_seed(1)
    times = []
    for step in range(steps + 1):
        x = torch.randint(0, 256, (batch, W), generator=g)
        t0 = time.perf_counter()
        loss = F.cross_entropy(forward(t, c, x).reshape(-1, 256), x.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step > 0:  # the first step warms up allocators
            times.append(time.perf_counter() - t0)
    s = sum(times) / len(times)
    print(f"pytorch {torch.__version__} config {config} threads {threads} batch {batch}: "
          f"{s:.3f} s/step, {batch * W / s / 1e3:.1f} kB/s (forward+backward+AdamW, {steps} steps)")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["check"] and len(args) == 3:
        check(args[1], args[2])
    elif args[:1] == ["bench"]:
        opts = {"--threads": 1, "--batch": 2, "--steps": 3, "--config": "ref"}
        for k, v in zip(args[1::2], args[2::2]):
            opts[k] = v if k == "--config" else int(v)
        bench(opts["--threads"], opts["--batch"], opts["--steps"], opts["--config"])
    else:
        sys.exit(__doc__)
