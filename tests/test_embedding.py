import numpy as np
import pytest

from graph.embedding import HashEmbedder, SentenceTransformerEmbedder, create_embedder
from graph.errors import ConfigError, InputError, ModelNotFoundError


def cosine(a, b):
    return float(np.dot(a, b))


def test_hash_embedder_is_deterministic_and_normalised():
    embedder = HashEmbedder(dim=64)
    first = embedder.embed(["Lin lives in Hangzhou", "林住在杭州"])
    again = HashEmbedder(dim=64).embed(["Lin lives in Hangzhou", "林住在杭州"])
    assert first.shape == (2, 64) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)


def test_hash_embedder_puts_texts_sharing_words_closer():
    a, b, c = HashEmbedder().embed(["the cat sat on the mat", "a cat on a mat", "stock prices fell"])
    assert cosine(a, b) > cosine(a, c)


@pytest.mark.parametrize("bad", ["just one string", [1, 2]])
def test_embed_rejects_non_lists_of_text(bad):
    with pytest.raises(InputError):
        HashEmbedder().embed(bad)


def test_unknown_embedder_backend():
    with pytest.raises(ConfigError, match="Unknown embedder"):
        create_embedder("word2vec")


def test_missing_model_directory(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        SentenceTransformerEmbedder(tmp_path / "missing").embed(["x"])


@pytest.mark.model
def test_packaged_minilm_embeds_offline_and_ranks_by_meaning():
    embedder = SentenceTransformerEmbedder()
    assert embedder.dim == 384
    query, near, far = embedder.embed(
        ["Where does my sister live?", "My sister lives in Hangzhou.", "The stock market fell today."]
    )
    assert cosine(query, near) > cosine(query, far)
    assert embedder.embed([]).shape == (0, 384)
