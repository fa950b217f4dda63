"""ema-weights, written differently: torch's own AveragedModel with the EMA averaging rule.
use_buffers=False averages the parameters and copies the buffers at each update; its first
update copies the model, which is the same here, since training updates right after building."""

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class EMA(AveragedModel):
    """``ema = EMA(model, decay)``; ``ema.update(model)`` after every optimizer step;
    evaluate with ``ema.module``."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        super().__init__(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=False)

    def update(self, model: nn.Module) -> None:
        """Move the average toward the model's current state."""
        self.update_parameters(model)
