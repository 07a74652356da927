import torch

from lsi_dist.models.networks import (
    LATENT_DIM,
    Discriminator,
    Generator,
    LeNet5,
    _max_pool_2x2,
    classify,
)


def test_generator_maps_latents_to_images_in_signed_range():
    images = Generator()(torch.randn(5, LATENT_DIM))
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1


def test_discriminator_gives_one_probability_per_image():
    scores = Discriminator().eval()(torch.rand(7, 1, 28, 28) * 2 - 1)
    assert scores.shape == (7, 1)
    assert ((scores >= 0) & (scores <= 1)).all()


def test_lenet5_gives_log_probabilities_over_ten_digits():
    probs = classify(LeNet5().eval(), torch.rand(3, 1, 28, 28))
    assert probs.shape == (3, 10)
    torch.testing.assert_close(probs.sum(1), torch.ones(3))


def test_fast_inference_pooling_gives_the_same_values_as_max_pool2d():
    torch.manual_seed(0)
    model = LeNet5().eval()
    images = torch.rand(33, 1, 28, 28)
    images[:, :, :10] = 0.0  # flat regions: ties inside pooling windows
    normalized = (images - 0.1307) / 0.3081
    reference = model.main(normalized)  # nn.MaxPool2d, autograd on
    with torch.inference_mode():
        fast = model(normalized)
    assert torch.equal(fast, reference.detach())
    odd = torch.randn(2, 3, 7, 9)
    assert torch.equal(_max_pool_2x2(odd), torch.nn.functional.max_pool2d(odd, 2))


def test_layer_layout_matches_the_reference_tutorial():
    # Parameter names and shapes a state dict of the reference tutorial has.
    shapes = {k: tuple(v.shape) for k, v in Generator().state_dict().items()}
    assert shapes == {
        "main.0.weight": (256, 128),
        "main.0.bias": (256,),
        "main.2.weight": (512, 256),
        "main.2.bias": (512,),
        "main.4.weight": (1024, 512),
        "main.4.bias": (1024,),
        "main.6.weight": (784, 1024),
        "main.6.bias": (784,),
    }
    shapes = {k: tuple(v.shape) for k, v in Discriminator().state_dict().items()}
    assert shapes == {
        "main.0.weight": (1024, 784),
        "main.0.bias": (1024,),
        "main.3.weight": (512, 1024),
        "main.3.bias": (512,),
        "main.6.weight": (256, 512),
        "main.6.bias": (256,),
        "main.9.weight": (1, 256),
        "main.9.bias": (1,),
    }
    shapes = {k: tuple(v.shape) for k, v in LeNet5().state_dict().items()}
    assert shapes == {
        "main.0.weight": (6, 1, 5, 5),
        "main.0.bias": (6,),
        "main.3.weight": (16, 6, 5, 5),
        "main.3.bias": (16,),
        "main.7.weight": (120, 256),
        "main.7.bias": (120,),
        "main.9.weight": (84, 120),
        "main.9.bias": (84,),
        "main.11.weight": (10, 84),
        "main.11.bias": (10,),
    }
