"""The sentence encoder under concurrent use."""

from __future__ import annotations


def test_a_question_waits_for_one_batch_of_a_large_encode_not_all_of_it() -> None:
    """The encoder's lock is held per batch (a large FAQ import used to hold it for the whole import while
    residents' questions waited)."""
    import threading

    from search.vectors import Encoder

    enc = Encoder()
    first_batch = threading.Event()

    class Progress:
        def update(self, n: int) -> None:
            first_batch.set()

    big = threading.Thread(target=enc.encode, args=([f"取り込み中の質問その{i}" for i in range(3000)], Progress()))
    big.start()
    assert first_batch.wait(60)
    enc.encode_one("住民票の取り方")  # a resident's question in between
    assert big.is_alive()  # answered while the import's encoding goes on
    big.join()
