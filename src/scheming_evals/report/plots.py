"""The report's figures as self-contained ``data:image/png;base64`` URIs (matplotlib Agg, no
pyplot, so no global backend state)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..analysis.dissection import MARGIN, Effect
from ..analysis.tables import ACCURACY

VERDICT_COLOURS = {"drop": "#1f77b4", "rise": "#d62728", "no change": "#7f7f7f",
                   "inconclusive": "#ff7f0e", "never seen": "#bbbbbb"}
MAX_FOREST_ROWS = 80


def png_uri(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def rates_plot(panels: dict[str, pd.DataFrame]) -> str | None:
    """Behaviour rates by model with Wilson intervals; one panel per condition set."""
    panels = {k: v for k, v in panels.items() if len(v)}
    if not panels:
        return None
    labels = list(dict.fromkeys(lb for v in panels.values() for lb in v["label"]))
    models = sorted({m for v in panels.values() for m in v["model"]})
    height = 1.2 + 0.32 * len(labels) * max(1, len(models) / 2)
    fig = Figure(figsize=(5.2 * len(panels), height))
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    offsets = np.linspace(-0.3, 0.3, len(models)) if len(models) > 1 else [0.0]
    for ax, (title, data) in zip(axes, panels.items(), strict=True):
        for off, m in zip(offsets, models, strict=True):
            d = data[data["model"] == m].set_index("label").reindex(labels)
            y = np.arange(len(labels)) + off
            ok = d["n"].fillna(0) > 0
            err = np.clip(np.vstack([(d["rate"] - d["low"])[ok], (d["high"] - d["rate"])[ok]]),
                          0, None)
            ax.errorbar(d["rate"][ok], y[ok.to_numpy()], xerr=err, fmt="o", ms=4, capsize=2,
                        label=m)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("rate (Wilson 95% interval)")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()  # shared y: once for all panels; Table 2's order top to bottom
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=8, loc="upper center",
               ncol=min(4, len(models)), bbox_to_anchor=(0.5, 0.0))
    return png_uri(fig)


def headline_plot(panels: dict[str, pd.DataFrame]) -> str | None:
    """The front page's figure: behaviour x model x nudge in one landscape panel (a filled
    marker with the nudge, an open one without; Wilson 95% intervals)."""
    panels = {k: v for k, v in panels.items() if len(v)}
    if not panels:
        return None
    labels = list(dict.fromkeys(lb for v in panels.values() for lb in v["label"]))
    models = sorted({m for v in panels.values() for m in v["model"]})
    fig = Figure(figsize=(11, 1.3 + 0.42 * len(labels)))
    ax = fig.subplots()
    colours = [f"C{i % 10}" for i in range(len(models))]
    width = 0.8 / max(1, len(models) * len(panels))
    k = 0
    for m, colour in zip(models, colours, strict=True):
        for j, (title, data) in enumerate(panels.items()):
            d = data[data["model"] == m].set_index("label").reindex(labels)
            ok = (d["n"].fillna(0) > 0).to_numpy()
            y = np.arange(len(labels)) - 0.4 + width * (k + 0.5)
            err = np.clip(np.vstack([(d["rate"] - d["low"])[ok], (d["high"] - d["rate"])[ok]]),
                          0, None)
            ax.errorbar(d["rate"][ok], y[ok], xerr=err, fmt="o", ms=4, capsize=1.5, lw=0.8,
                        color=colour, mfc=colour if j == 0 else "white",
                        label=f"{m} ({title.split(',')[0]})")
            k += 1
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("rate (Wilson 95% interval)", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return png_uri(fig)


def forest_plot(effects: list[Effect]) -> str | None:
    """Each single change's difference from the default, with its Newcombe interval."""
    effects = effects[:MAX_FOREST_ROWS]
    if not effects:
        return None
    fig = Figure(figsize=(8, 1.0 + 0.26 * len(effects)))
    ax = fig.subplots()
    ax.axvspan(-MARGIN, MARGIN, color="#eeeeee", zorder=0)
    ax.axvline(0, color="black", lw=0.8)
    for i, e in enumerate(effects):
        c = VERDICT_COLOURS.get(e.verdict, "black")
        ax.plot([e.diff.low, e.diff.high], [i, i], color=c, lw=2)
        ax.plot([e.diff.diff], [i], "o", color=c, ms=4)
    ax.set_yticks(range(len(effects)),
                  [f"{e.model} · {e.behaviour} · {e.change}" for e in effects], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel(f"changed − default rate (Newcombe 95%); grey band ±{MARGIN:.2f}")
    handles = [ax.plot([], [], "o-", color=c, label=v)[0] for v, c in VERDICT_COLOURS.items()]
    ax.legend(handles=handles, fontsize=7, loc="lower left", ncol=5,
              bbox_to_anchor=(0, 1.0))
    return png_uri(fig)


def _mean_ci(values: np.ndarray, seed: int = 0, n_boot: int = 2000) -> tuple[float, float]:
    """Seeded percentile bootstrap 95% interval of a mean (display only)."""
    rng = np.random.default_rng(seed)
    means = rng.choice(values, (n_boot, len(values))).mean(1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def sandbagging_plot(df: pd.DataFrame) -> str | None:
    """Mean accuracy per model, goal and incentive, with bootstrap 95% intervals."""
    if "accuracy" not in df:
        return None
    rows = df[df["eval"].isin(ACCURACY) & df["accuracy"].notna()]
    if len(rows) == 0:
        return None
    groups = list(rows.groupby(["model", "goal"], sort=True))
    fig = Figure(figsize=(max(4.0, 1.6 * len(groups)), 3.2))
    ax = fig.subplots()
    for j, inc in enumerate(("do_well", "do_poorly")):
        xs: list[float] = []
        ys: list[float] = []
        errs: list[list[float]] = [[], []]
        for i, (_, g) in enumerate(groups):
            acc = g[g["incentive"] == inc]["accuracy"].astype(float).to_numpy()
            if len(acc) == 0:
                continue
            m = float(acc.mean())
            low, high = _mean_ci(acc)
            xs.append(i + (j - 0.5) * 0.3)
            ys.append(m)
            errs[0].append(m - low)
            errs[1].append(high - m)
        ax.errorbar(xs, ys, yerr=errs, fmt="o", capsize=3, label=f"incentive: {inc}")
    ax.set_xticks(range(len(groups)), [f"{m}\ngoal={g}" for (m, g), _ in groups], fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("accuracy (bootstrap 95%)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    ax.grid(axis="y", alpha=0.3)
    return png_uri(fig)


def confession_plot(points: pd.DataFrame) -> str | None:
    """Confession rate by question variant (Wilson intervals), one series per model / eval."""
    if points.empty:
        return None
    variants = list(dict.fromkeys(points["variant"]))
    series = sorted(set(points["series"] if "series" in points else points["model"]))
    fig = Figure(figsize=(8, 1.2 + 0.35 * len(variants) * max(1, len(series) / 3)))
    ax = fig.subplots()
    offsets = np.linspace(-0.3, 0.3, len(series)) if len(series) > 1 else [0.0]
    for off, name in zip(offsets, series, strict=True):
        d = points[points["model"] == name].set_index("variant").reindex(variants)
        ok = d["rate"].notna().to_numpy()
        y = np.arange(len(variants))[ok] + off
        err = np.clip(np.vstack([(d["rate"] - d["low"])[ok], (d["high"] - d["rate"])[ok]]), 0,
                      None)
        ax.errorbar(d["rate"][ok], y, xerr=err, fmt="o", ms=4, capsize=2, label=name)
    ax.set_yticks(range(len(variants)), [v.replace("_", " ") for v in variants])
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("confession rate (Wilson 95% interval)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    return png_uri(fig)
