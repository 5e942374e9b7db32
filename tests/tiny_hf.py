"""A tiny, randomly initialised Hugging Face causal LM made locally, for backend tests.

It writes nothing but what it builds: a byte-level BPE tokenizer trained on the text
below and a 2-layer Llama with a fixed seed, saved with ``save_pretrained``. Its replies
are gibberish, but it loads, tokenizes, applies a chat template and streams like a real
model. Never downloads anything.
"""

from __future__ import annotations

from pathlib import Path

SPACE_BOOST = 24.0  # words that start with a space win more often, so text streams word by word
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]

CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

TRAINING_TEXT = [
    "Alice lives in Paris and works as a nurse at the city hospital.",
    "Bob moved to Berlin last year; he likes cycling along the river.",
    "The quick brown fox jumps over the lazy dog.",
    "What is the capital of France? The capital of France is Paris.",
    "Remember that my favourite colour is green and my cat is called Tom.",
    "I don't know the answer, because the documents do not say.",
    "Please summarise the meeting notes in three short sentences.",
    "小明住在北京，他是一名工程师。",
    "今天天气很好，我们去公园散步吧。",
    "我不知道答案，因为文档里没有提到。",
    "请记住我喜欢喝绿茶，不喜欢咖啡。",
    "聪明的助手会引用证据，不会编造事实。",
]


def _train_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(TRAINING_TEXT * 4, trainer=trainer)
    return tokenizer


def _prefer_printable_tokens(model, tokenizer) -> None:
    """Shape the output layer so the model writes text, not stray bytes or control tokens.

    Rows of tokens that are special or decode to an incomplete UTF-8 sequence are zeroed
    (their logit is 0) and the others scaled up, so greedy decoding never picks them and
    sampling almost never does. Greedy replies therefore always run to ``max_tokens``.
    """
    import torch

    special = set(tokenizer.all_special_ids)
    with torch.no_grad():
        weight = model.lm_head.weight
        for token_id in range(weight.shape[0]):
            text = tokenizer.decode([token_id])
            printable = all(c.isprintable() or c in " \n" for c in text)
            if token_id in special or "\ufffd" in text or not printable:
                weight[token_id].zero_()
            else:
                weight[token_id].mul_(SPACE_BOOST if text.startswith(" ") else 20.0)


def make_tiny_model_dir(path: Path) -> Path:
    """Write a tiny Llama causal LM and its tokenizer into ``path``; return ``path``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(),
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        unk_token="<|endoftext|>",
        chat_template=CHATML_TEMPLATE,
        model_max_length=512,
    )
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(1234)
        model = LlamaForCausalLM(config).eval()
    finally:
        torch.random.set_rng_state(generator_state)
    _prefer_printable_tokens(model, tokenizer)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
