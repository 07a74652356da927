"""The local socket channel, both ends in this process (no Ray needed)."""

import os
import socket
import stat
import time

import numpy as np
import pytest

from lsi_dist.distribution.channel import (
    ChannelClient,
    ChannelLost,
    ChannelServer,
    ChannelTimeout,
    EvaluationFailed,
)


def row_sums(latents):
    """A stand-in evaluation: each row's sum and its first value."""
    if latents.shape[1] != 128:
        raise ValueError(f"latents must have 128 columns, not {latents.shape[1]}")
    return np.column_stack([latents.sum(axis=1), latents[:, 0]]), 0.25


@pytest.fixture
def server():
    made = ChannelServer(row_sums)
    yield made
    made.close()


@pytest.fixture
def client(server):
    made = ChannelClient(server.path)
    yield made
    made.close()


@pytest.mark.parametrize("rows", [0, 1, 151, 5000])
def test_round_trip_of_any_size(client, rows):
    latents = np.random.default_rng(rows).standard_normal((rows, 128))
    packed, seconds = client.result(client.submit(latents, 5.0), 5.0)
    expected, _ = row_sums(latents.astype(np.float32))
    assert packed.dtype == np.float32 and packed.shape == (rows, 2)
    np.testing.assert_array_equal(packed, expected.astype(np.float32))
    assert seconds == 0.25


def test_replies_match_requests_when_collected_out_of_order(client):
    parts = [np.full((n, 128), n, np.float32) for n in (3, 40, 17)]
    numbers = [client.submit(part, 5.0) for part in parts]
    for number, part in reversed(list(zip(numbers, parts))):
        packed, _ = client.result(number, 5.0)
        assert packed.shape == (len(part), 2)
        assert (packed[:, 1] == len(part)).all()


def test_evaluation_error_comes_back_as_text_and_the_channel_goes_on(client):
    number = client.submit(np.zeros((4, 10), np.float32), 5.0)
    with pytest.raises(EvaluationFailed, match="ValueError: latents must have 128"):
        client.result(number, 5.0)
    packed, _ = client.result(client.submit(np.ones((2, 128)), 5.0), 5.0)
    assert packed[0, 0] == 128


def test_the_other_end_closing_is_a_lost_channel(tmp_path):
    # A bare socket server that reads a request and closes, as the socket of
    # an actor whose process is killed does.
    path = str(tmp_path / "s.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    client = ChannelClient(path)
    conn, _ = listener.accept()
    number = client.submit(np.ones((2, 128)), 5.0)
    conn.recv(64)
    conn.close()
    with pytest.raises(ChannelLost):
        client.result(number, 5.0)
    client.close()
    listener.close()


def test_no_reply_in_time_is_a_timeout_and_poisons_the_channel():
    server = ChannelServer(lambda latents: (time.sleep(2), row_sums(latents))[1])
    client = ChannelClient(server.path)
    first = client.submit(np.ones((2, 128)), 5.0)
    with pytest.raises(ChannelTimeout):
        client.result(first, 0.2)
    # Half-read streams are not trusted: later calls fail the same way.
    with pytest.raises(ChannelTimeout):
        client.result(client.submit(np.ones((2, 128)), 5.0), 5.0)
    client.close()
    server.close()


def test_socket_folder_is_private_and_removed(server):
    folder = os.path.dirname(server.path)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    server.close()
    assert not os.path.exists(folder)
    server._accepting.join(5)
    assert not server._accepting.is_alive()  # close wakes the accepting thread


def test_unreachable_path_raises_at_connect(tmp_path):
    with pytest.raises(OSError):
        ChannelClient(str(tmp_path / "no.sock"), connect_timeout_s=1.0)
