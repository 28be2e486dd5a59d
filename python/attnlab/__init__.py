"""attnlab's Python package; today: attnlab.torch_model (an exported attnlab
model rebuilt as a plain torch.nn.Module). Importing the package imports
nothing else: torch is loaded only by attnlab.torch_model."""
