"""The warmup benchmark's tasks, one module each, and the shared pieces they train with (``charlm``, ``digits``,
``loop``, ``seqclass``, ``trainer_loop``). A task module is a :class:`warmup_bench.protocol.Task`."""

from __future__ import annotations

from warmup_bench.protocol import Task

from . import (
    bart_denoise,
    bert_verses,
    cancer_mlp,
    cnn_bn_long,
    cnn_bn_short,
    conv_ae,
    convnext_digits,
    diabetes_mlp,
    digits_ae,
    digits_ae_long,
    digits_cnn,
    digits_cnn_long,
    digits_mlp,
    electra_books,
    gpt2_long,
    gpt2_short,
    gpt2_tweets,
    gru_digits_long,
    gru_tweets,
    llama_lm,
    llama_long,
    lstm_charlm,
    lstm_verses,
    minilm2_tweets,
    minilm_finetune,
    minilm_testament,
    minilm_verses,
    mixer_digits,
    neox_verses,
    opt_words,
    pegasus_reverse,
    postln_lm,
    postln_long,
    postln_trainer,
    prenorm_30k,
    prenorm_long,
    resmlp_30k,
    resmlp_long,
    resmlp_short,
    roberta_long,
    t5_trainer,
    t5_tweets,
    vit_digits,
)

#: The tasks by name, in report order (a type checker holds each module to the ``Task`` protocol).
TASKS: dict[str, Task] = {
    "postln_lm": postln_lm, "llama_lm": llama_lm, "minilm_finetune": minilm_finetune, "digits_mlp": digits_mlp,
    "postln_trainer": postln_trainer, "t5_trainer": t5_trainer, "postln_long": postln_long,
    "bert_verses": bert_verses, "digits_cnn": digits_cnn, "digits_cnn_long": digits_cnn_long,
    "prenorm_long": prenorm_long, "vit_digits": vit_digits, "lstm_charlm": lstm_charlm,
    "digits_ae": digits_ae, "digits_ae_long": digits_ae_long, "bart_denoise": bart_denoise,
    "gpt2_tweets": gpt2_tweets, "roberta_long": roberta_long,
    "resmlp_long": resmlp_long, "resmlp_short": resmlp_short, "minilm_verses": minilm_verses,
    "resmlp_30k": resmlp_30k, "prenorm_30k": prenorm_30k,
    "gru_tweets": gru_tweets, "cnn_bn_long": cnn_bn_long, "neox_verses": neox_verses, "conv_ae": conv_ae,
    "cnn_bn_short": cnn_bn_short,
    "electra_books": electra_books, "t5_tweets": t5_tweets, "mixer_digits": mixer_digits,
    "llama_long": llama_long, "convnext_digits": convnext_digits, "diabetes_mlp": diabetes_mlp,
    "lstm_verses": lstm_verses,
    "minilm2_tweets": minilm2_tweets, "gru_digits_long": gru_digits_long, "pegasus_reverse": pegasus_reverse,
    "opt_words": opt_words,
    "minilm_testament": minilm_testament, "cancer_mlp": cancer_mlp, "gpt2_short": gpt2_short,
    "gpt2_long": gpt2_long,
}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)


def load_task(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected some of {', '.join(TASK_NAMES)}")
    return TASKS[name]
