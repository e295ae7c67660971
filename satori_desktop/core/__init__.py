"""Qt-free domain logic: prompts, the COAT stream parser, answers, math/markdown segmentation."""
