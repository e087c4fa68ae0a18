"""Round robin: the node that has been given the fewest tasks so far (lowest index on ties).

When every node has room this cycles through the nodes in order; a node the task does not fit on is
skipped and catches up later.
"""

N_PLACED = 15


def priority(task, nodes):
    return -nodes[:, N_PLACED]
