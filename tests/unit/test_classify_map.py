"""Classes, palettes and the map's geometry: known breaks on known data, the edge cases a map meets
(missing values, one distinct value, nothing at all), and the exported map figure."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from indicators import charts, classify, export, mapdata, store, territories
from indicators.paths import MAP_DIR

TEN = np.arange(1, 11, dtype=float)


@pytest.mark.parametrize("method,k,manual,bounds", [
    ("quantiles", 5, None, (2.8, 4.6, 6.4, 8.2, 10.0)),
    ("egal", 5, None, (2.8, 4.6, 6.4, 8.2, 10.0)),
    ("jenks", 5, None, (2.0, 4.0, 6.0, 8.0, 10.0)),
    ("manuel", 5, [3, 7], (3.0, 7.0, 10.0)),
    ("manuel", 5, [-4, 3, 7, 50], (3.0, 7.0, 10.0)),  # breaks outside the data are ignored
])
def test_known_breaks_on_known_data(method, k, manual, bounds):
    cl = classify.classify(TEN, method, k, manual)
    assert cl.bounds == pytest.approx(bounds)
    assert sum(cl.counts) == 10 and cl.missing == 0
    assert cl.lower == 1.0


def test_manual_breaks_read_french_numbers_and_name_the_rest():
    assert classify.parse_breaks("5;12,5; -3 ;1.5;;abc;1,2,3") == ([-3.0, 1.5, 5.0, 12.5], ["abc", "1,2,3"])
    assert classify.parse_breaks("1\u202f000;−2") == ([-2.0, 1000.0], [])


def test_natural_breaks_find_separated_clusters():
    clusters = np.array([1, 1.1, 1.2, 5, 5.1, 5.2, 9, 9.1, 9.2])
    assert classify.classify(clusters, "jenks", 3).bounds == pytest.approx((1.2, 5.2, 9.2))


def test_natural_breaks_on_many_values_are_deterministic_and_find_clusters():
    rng = np.random.default_rng(7)
    data = np.concatenate([rng.uniform(0, 1, 12_000), rng.uniform(10, 11, 12_000), rng.uniform(20, 21, 12_000)])
    first = classify.classify(data, "jenks", 3)
    assert first.bounds == classify.classify(data, "jenks", 3).bounds  # same map, same classes, every rerun
    assert first.counts == (12_000, 12_000, 12_000)


def test_mean_and_std_classes_are_never_empty_and_end_at_the_maximum():
    cl = classify.classify(TEN, "ecart", 5)
    assert all(n > 0 for n in cl.counts)
    assert cl.bounds[-1] == 10.0
    assert classify.labels(cl, 1)[0].startswith("1,0 à ")


def test_missing_values_get_no_class_and_are_counted():
    cl = classify.classify(np.array([np.nan, 1, 2, 3, np.nan, 4]), "quantiles", 2)
    assert cl.classes.tolist() == [-1, 0, 0, 1, -1, 1]
    assert cl.missing == 2 and cl.counts == (2, 2)


def test_a_single_distinct_value_makes_one_class():
    cl = classify.classify(np.array([7.0, 7.0, np.nan, 7.0]), "jenks", 5)
    assert cl.bounds == (7.0,) and cl.counts == (3,) and cl.missing == 1
    assert classify.labels(cl, 0) == ["7 à 7"]


def test_all_missing_makes_no_class_and_no_colour():
    cl = classify.classify(np.array([np.nan, np.nan]), "quantiles", 5)
    assert cl.k == 0 and cl.missing == 2 and cl.classes.tolist() == [-1, -1]
    assert classify.palette(cl.k, 1) == []


def test_shared_bounds_classify_another_year_the_same_way():
    cl = classify.classify(np.array([0.5, 5.0, 12.0]), "quantiles", 3, bounds=(2.0, 6.0, 10.0))
    assert cl.classes.tolist() == [0, 1, 2]  # above the last bound stays in the last class


def test_labels_are_french():
    cl = classify.classify(np.array([1200.5, 3400.25, 15000.0]), "egal", 3)
    assert classify.labels(cl, 1)[1] == "plus de 5\u202f800,3 à 10\u202f400,2"


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("k", range(3, 10))
@pytest.mark.parametrize("polarity,scheme", [(1, 1), (-1, -1), (0, 0)])
def test_sequential_palettes_darken_and_follow_the_polarity(k, polarity, scheme):
    colours = classify.palette(k, polarity)
    assert len(colours) == k == len(set(colours))
    assert set(colours) <= set(classify.SEQUENTIAL[scheme])  # ColorBrewer, safe for colour-blind readers
    lum = [_luminance(c) for c in colours]
    assert lum == sorted(lum, reverse=True)


def test_diverging_palette_is_neutral_at_the_reference_and_flips_with_polarity():
    more_is_better = classify.palette(5, 1, diverging_at=2)
    assert more_is_better[2] == "#f7f7f7"
    assert more_is_better[3] in classify.DIVERGING[5:]  # above the reference: the favourable side
    less_is_better = classify.palette(5, -1, diverging_at=2)
    assert less_is_better[2] == "#f7f7f7" and less_is_better[3] in classify.DIVERGING[:4]
    assert classify.palette(4, 1, diverging_at=0)[0] == "#f7f7f7"  # reference in the first class


def test_geometry_round_trips_and_holes_turn_against_their_exterior():
    frame = (0.0, 0.0, 10.0, 10.0)
    square = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)], holes=[[(4, 4), (6, 4), (6, 6), (4, 6)]])
    outer, hole = mapdata.rings(mapdata._encode(square, frame))
    assert outer.min(axis=0).tolist() == [0, 0]
    assert outer.max(axis=0).tolist() == [round(mapdata.KX * mapdata.QUANT), mapdata.QUANT]
    assert hole.min(axis=0).tolist() == [round(4 * mapdata.KX * 2000), 8000]
    assert mapdata.signed_area(outer) * mapdata.signed_area(hole) < 0


@pytest.mark.parametrize("level", mapdata.LEVELS)
def test_every_shipped_shape_turns_the_same_way(level):
    layer = mapdata.read_layer(MAP_DIR / f"{level}.json")
    signs = {np.sign(sum(mapdata.signed_area(r) for r in mapdata.rings(f))) for f in layer["features"]}
    assert signs == {-1.0}  # y downwards: exteriors turn negative, holes positive
    assert len(layer["codes"]) == len(layer["features"]) == len(layer["names"])


@pytest.fixture(scope="module")
def dep_map(con):
    values = store.level_values(con, "net_migration_rate", "DEP", 2020, 2020)
    cl = classify.classify(values["value"].to_numpy(dtype=float), "quantiles", 5)
    spec = charts.ChartSpec(title="Solde migratoire apparent, 2020", unit="‰", source="Source : Insee (test)",
                            decimals=1, permalink="http://localhost:8501/carte?niveau=DEP")
    outline = territories.codes_at_level(con, territories.group_members(con, "cci-midi-pyrenees")["code"].tolist(), "DEP")
    fig = charts.map_figure(mapdata.read_layer(MAP_DIR / "DEP.json"), values["code"].tolist(), cl,
                            classify.palette(cl.k, 1), classify.MISSING_COLOUR, spec, outline=outline,
                            small={"DEP:48", "DEP:23"}, group_name="Sites pilotes <CCI>")
    return fig, spec, cl, outline


def test_map_figure_has_a_trace_per_class_with_bounds_and_counts(dep_map):
    fig, _, cl, outline = dep_map
    names = [t.name for t in fig.data]
    assert len(names) == cl.k + 3  # classes, missing, the small counts hatched, the outlined group
    assert names[0] == f"{classify.labels(cl, 1)[0]} ({cl.counts[0]})"
    assert names[cl.k] == "donnée non disponible (5)"
    assert names[cl.k + 1] == "hachures : effectif faible (2)" and fig.data[cl.k + 1].fillpattern.shape == "/"
    assert names[-1] == "contour : Sites pilotes &lt;CCI&gt;"  # the group named, its name escaped
    assert outline == {"DEP:09", "DEP:12", "DEP:31", "DEP:65", "DEP:81", "DEP:82"}
    assert fig.data[0].fillcolor == classify.palette(cl.k, 1)[0]


def test_exported_map_says_what_it_shows(dep_map):
    fig, spec, _, _ = dep_map
    svg = export.render(export.stamp(fig, spec), "svg", scale=1).decode()
    for text in ("Solde migratoire apparent, 2020", "Source : Insee (test)", "Exporté le", "donnée non disponible (5)",
                 "http://localhost:8501/carte?niveau=DEP"):
        assert text in svg
    assert svg.count('class="js-fill"') >= 6
    assert "<pattern" in svg and "contour : Sites pilotes &#60;CCI&#62;" in svg


def test_histogram_draws_every_value_and_a_line_per_break():
    from ui.carte_views import histogram_svg

    values = np.array([1.0, 2, 2, 3, 3, 3, 9, np.nan])
    cl = classify.classify(values, "manuel", 3, [2.5, 5])
    svg = histogram_svg(values, cl, 0, bins=4)
    assert svg.count("<rect") == 3  # bins 1–3, 3–5 and 7–9 hold values; the empty one draws nothing
    assert svg.count("<line") == 2 and 'stroke-dasharray' in svg
    assert ">1</text>" in svg and ">9</text>" in svg


def test_histogram_axis_follows_the_classes_of_compared_years():
    import re as _re

    from ui.carte_views import histogram_svg

    now, before = np.array([4.9, 6.0, 8.0]), np.array([-1.0, 1.1, 3.0, 20.0])
    pooled = classify.classify(np.concatenate([now, before]), "quantiles", 3)
    cl = classify.classify(now, "quantiles", 3, bounds=pooled.bounds, lower=pooled.lower)
    svg = histogram_svg(now, cl, 1)
    assert ">−1,0</text>" in svg and ">20,0</text>" in svg  # the axis spans every year's classes
    xs = [float(v) for v in _re.findall(r'<line x1="([\d.]+)"', svg)]
    assert xs and all(0 <= v <= 300 for v in xs)


def test_compared_years_start_the_first_class_at_the_lowest_value_of_all_years():
    now, before = np.array([4.9, 6.0, 8.0]), np.array([-1.0, 1.1, 3.0])
    pooled = classify.classify(np.concatenate([now, before]), "quantiles", 3)
    cl = classify.classify(now, "quantiles", 3, bounds=pooled.bounds, lower=pooled.lower)
    first = classify.labels(cl, 1)[0]
    assert cl.lower == -1.0 and first.startswith("−1,0 à"), first


@pytest.mark.parametrize("method", ["quantiles", "egal", "ecart"])
def test_numpy_classes_are_mapclassify_s_own(method):
    """Quantiles, equal intervals and mean ± std are computed in numpy (mapclassify and scikit-learn cost a
    process 80 MB); they must give mapclassify's bounds, repeated values and small k included."""
    import warnings

    import mapclassify

    rng = np.random.default_rng(7)
    for data in (rng.normal(size=500), rng.exponential(size=5_000), rng.integers(0, 5, 300).astype(float),
                 np.array([1.0, 1, 1, 2, 2, 3])):
        for k in range(2, 10):
            kk = int(min(k, 9, np.unique(data).size))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if method == "quantiles":
                    ref = mapclassify.Quantiles(data, k=kk).bins
                elif method == "egal":
                    ref = mapclassify.EqualInterval(data, k=kk).bins
                else:
                    ref = mapclassify.StdMean(data, multiples=[-2, -1, 1, 2]).bins
            expected = classify._ending_at_max(ref, data)
            assert classify._bounds(data, method, k, None) == pytest.approx(expected, rel=1e-12)


def test_a_diverging_palette_colours_every_class_even_with_the_reference_at_one_end():
    from indicators import classify

    for centre in (0, 8):
        colours = classify.palette(9, 1, centre)
        assert len(colours) == 9 and len(set(colours)) == 9  # each of nine classes its own colour
        assert colours[centre] == "#f7f7f7"


def test_map_files_are_staged_and_published_whole(tmp_path):
    """The build writes outlines beside the served ones and renames them after the base is swapped in: a build
    killed before that leaves the old files whole (never a 0-byte COM.json), a finished one replaces them."""
    from indicators import mapdata

    (tmp_path / "COM.json").write_text('{"old": true}')
    stage = mapdata.staging(tmp_path)
    stage.mkdir()
    (stage / "COM.json").write_text('{"new": true}')
    (stage / "index.json").write_text('{"format": 4}')
    assert (tmp_path / "COM.json").read_text() == '{"old": true}'  # killed here: the old set is whole
    mapdata.publish(tmp_path)
    assert (tmp_path / "COM.json").read_text() == '{"new": true}' and (tmp_path / "index.json").exists()
    assert not stage.exists()
