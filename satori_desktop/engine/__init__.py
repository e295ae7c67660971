"""Qt-free inference: the llama.cpp engine with its own token loop, and the hardware probe."""
