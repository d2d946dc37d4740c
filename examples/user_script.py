"""A user's own Trainer script: hf_warmup's only line is the import. Usage: python user_script.py OUT [STEPS]."""
import sys

import torch
from datasets import Dataset
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

import hf_warmup  # noqa: F401  (registers the schedules, the report and the card section)

out, steps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 120
torch.manual_seed(0)
model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=32, vocab_size=64, n_positions=32,
                                   bos_token_id=0, eos_token_id=0))
ids = torch.randint(0, 64, (256, 16), generator=torch.Generator().manual_seed(0)).tolist()
args = TrainingArguments(output_dir=out, max_steps=steps, per_device_train_batch_size=8, learning_rate=3e-3,
                         lr_scheduler_type="adaptive_warmup", warmup_steps=0.5, logging_steps=5,
                         lr_scheduler_kwargs={"check_interval": 5, "decay": "cosine", "min_lr_ratio": 0.1},
                         report_to="none", save_strategy="no", use_cpu=True)
trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_dict({"input_ids": ids, "labels": ids}))
trainer.train()
trainer.create_model_card(model_name="tiny-gpt2-adaptive-warmup")  # push_to_hub() writes the same card
