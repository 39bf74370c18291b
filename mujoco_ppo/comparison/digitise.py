"""Reading a curve and its band back from a plotted figure's pixels: the panel's frame, its grey
gridlines (which fix the y axis), a red line's median pixel and a pink band's extent in each pixel
column (scripts/digitise_parl_experiments.py, for PARL-experiments' published figures)."""
import numpy as np


def frame(dark):
    """(x0, x1, y0, y1) of the panel's box: the two columns and two rows most full of dark pixels,
    one on each side of the middle."""
    cols, rows = dark.sum(0), dark.sum(1)
    mid_x, mid_y = dark.shape[1] // 2, dark.shape[0] // 2
    return (int(np.argmax(cols[:mid_x])), mid_x + int(np.argmax(cols[mid_x:])),
            int(np.argmax(rows[:mid_y])), mid_y + int(np.argmax(rows[mid_y:])))


def gridline_rows(grey):
    """Centres of the runs of rows at least a tenth of whose pixels are gridline grey (the band
    hides most of a gridline that runs through it; elsewhere a row crosses only the vertical
    gridlines, 2% of it)."""
    full = np.nonzero(grey.sum(1) > grey.shape[1] / 10)[0]
    runs = np.split(full, np.nonzero(np.diff(full) > 1)[0] + 1) if len(full) else []
    return [float(run.mean()) for run in runs]


def digitise(pixels, region, x_limit, gridlines, every):
    """[(step, mean, band low, band high)] of the panel in ``region`` of ``pixels``."""
    left, top, right, bottom = region
    rgb = pixels[top:bottom, left:right].astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    x0, x1, y0, y1 = frame((r < 60) & (g < 60) & (b < 60))
    grey = (abs(r - g) < 6) & (abs(g - b) < 6) & (r > 200) & (r < 240)
    # 6 pixels clear of the frame's lines, whose anti-aliased edges are grey too
    rows = gridline_rows(grey[y0 + 6:y1 - 5, x0 + 2:x1 - 1])
    if len(rows) != len(gridlines):
        raise ValueError(f"found {len(rows)} gridlines inside the frame, not {len(gridlines)}")
    slope, intercept = np.polyfit(np.array(rows) + y0 + 6, sorted(gridlines, reverse=True), 1)
    line = (r > 180) & (g < 80) & (b < 80)
    # pink: (250, 209, 210) in the open, (228, 199, 199) where it covers a grey gridline
    band = line | ((r > 200) & (r - g >= 20) & (g > 150) & (abs(g - b) < 12))
    columns = []
    for x in range(x0 + 2, x1 - 1):  # inside the frame's lines
        on_line = np.nonzero(line[y0 + 2:y1 - 1, x])[0] + y0 + 2
        in_band = np.nonzero(band[y0 + 2:y1 - 1, x])[0] + y0 + 2
        if len(on_line):
            columns.append(((x - x0) / (x1 - x0) * x_limit,
                            *(slope * y + intercept for y in (np.median(on_line), in_band.max(),
                                                              in_band.min()))))
    columns = np.array(columns)
    out = []
    for step in np.arange(every, x_limit + 1, every):
        near = np.abs(columns[:, 0] - step) <= 3.5 * x_limit / (x1 - x0)  # the 7 nearest columns
        if near.any():
            out.append((int(step), *np.round(np.median(columns[near, 1:], axis=0)).astype(int)))
    return out
