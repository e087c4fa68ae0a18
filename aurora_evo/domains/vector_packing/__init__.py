"""Two-dimensional online vector bin packing: virtual machines (cpu, memory) onto hosts, one at a time.

A small third problem beside allocation and bin packing, added through the problem seam alone: this
folder and one line in :data:`aurora_evo.domains.PROBLEMS`.
"""
