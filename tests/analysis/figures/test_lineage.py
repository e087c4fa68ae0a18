"""The family tree of a program back to its seeds."""

from __future__ import annotations

from drawn import texts

from aurora_evo.analysis import load_run
from aurora_evo.analysis.figures.drawing import NO_DATA
from aurora_evo.analysis.figures.lineage import fig_lineage


def test_lineage_draws_evicted_ancestors_hollow(small_run):
    with load_run(small_run) as run:
        programs = run.programs()
        evicted = set(programs.id[programs.evicted])
        lineage = run.lineage()
        children = lineage[lineage.parent_id.isin(evicted)].child_id
        assert not children.empty, "the run should hold a child of an evicted program"
        program_id = str(children.iloc[-1])
        tree = run.ancestry(program_id)
        ancestors = set(tree.id[tree.evicted]) - {program_id}
        assert ancestors

        fig = fig_lineage(run, program_id)
        ax = fig.axes[0]
        nodes = {c.get_gid(): c for c in ax.collections if c.get_gid()}
        assert set(nodes) == set(tree.id)
        for node in ancestors:
            assert tuple(nodes[node].get_facecolor()[0]) == (1.0, 1.0, 1.0, 1.0)  # hollow
        assert ax.get_title().startswith(f"Lineage of {program_id[:8]}: ")
        assert f"{len(ancestors)} evicted" in ax.get_title()  # ancestors only, not the program itself
        # One arrow per lineage edge of the tree, each from the parent (left) to the child (right).
        edges = run.lineage()
        edges = edges[edges.child_id.isin(tree.id) & edges.parent_id.isin(tree.id)]
        arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
        assert len(arrows) == len(edges)
        centre = {gid: tuple(c.get_offsets()[0]) for gid, c in nodes.items()}
        drawn = {(a.xyann, a.xy) for a in arrows}
        assert drawn == {(centre[p], centre[c]) for p, c in zip(edges.parent_id, edges.child_id, strict=True)}
        assert all(parent[0] < child[0] for parent, child in drawn)
        labels = " ".join(texts(fig))
        assert all(node[:8] in labels for node in tree.id)  # a small tree: every node labelled
        assert "(evicted)" in labels
        assert fig.axes[1].get_ylabel() == f"training {run.score_label}"

        best = fig_lineage(run)  # by default the run's winner, the program export ships first
        assert run.winner()[:8] in best.axes[0].get_title()
        assert "the run's winner" in best.axes[0].get_title()


def test_a_run_with_nothing_evaluated_says_so(empty_run):
    with load_run(empty_run) as run:
        assert NO_DATA in texts(fig_lineage(run))
