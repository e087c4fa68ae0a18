"""Reinforcement-learning baselines: a gymnasium environment over the simulator (one step, one placement
decision), and DQN and maskable PPO through stable-baselines3 and sb3-contrib (the ``rl`` extra)."""
