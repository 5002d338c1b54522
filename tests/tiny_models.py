"""Tiny models with random weights and the real architectures, built by tests: nothing is downloaded.

Each builder writes files in the layout an operator would point a DARKROOM_*_MODEL setting at.
"""

from pathlib import Path

ESRGAN_FILTERS = 8
ESRGAN_BLOCKS = 1


def write_esrgan(path: Path, scale: int = 2, seed: int = 0) -> Path:
    """Write ESRGAN weights (.pth or .safetensors, by the suffix) with 8 filters and one RRDB block.

    The RRDB trunk keeps its random weights. The convolutions outside the trunk pass the three colour
    channels straight through, so the output is the input enlarged (nearest neighbour) plus the
    trunk's random residual: an image with edges, where pure random weights give a flat dark field.
    """
    import torch
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(seed)
    network = ESRGAN(in_nc=3, out_nc=3, num_filters=ESRGAN_FILTERS, num_blocks=ESRGAN_BLOCKS, scale=scale)
    state = {name: tensor.contiguous() for name, tensor in network.state_dict().items()}
    for name, tensor in state.items():
        if name.startswith("model.1.sub.1."):
            tensor.mul_(0.1)  # the trunk's last convolution: a small residual keeps the image visible
        if name.startswith("model.1.") or not name.startswith("model."):
            continue
        tensor.zero_()
        if name.endswith(".weight"):
            for channel in range(3):
                tensor[channel, channel, 1, 1] = 1.0
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, str(path))
    else:
        torch.save(state, path)
    return path


def write_salient_object_onnx(path: Path, input_side: int | str = "dynamic") -> Path:
    """Write a U2-Net-shaped ONNX model: input 1x3xHxW, outputs 1x1xHxW.

    It computes sigmoid(4 * (mean of the normalised channels)), so bright regions come out as the
    subject. `input_side` fixes H and W (320 as U2-Net declares them) or leaves them dynamic.
    """
    import onnx
    from onnx import TensorProto, helper

    side = input_side if isinstance(input_side, int) else None
    spatial = [side, side] if side else ["height", "width"]
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, *spatial])
    # U2-Net has seven side outputs; rembg reads the first.
    outputs = [helper.make_tensor_value_info(f"d{index}", TensorProto.FLOAT, [1, 1, *spatial]) for index in range(2)]
    weights = helper.make_tensor("weights", TensorProto.FLOAT, [1, 3, 1, 1], [4.0 / 3] * 3)
    nodes = [
        helper.make_node("Conv", ["input.1", "weights"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["d0"]),
        helper.make_node("Identity", ["d0"], ["d1"]),
    ]
    graph = helper.make_graph(nodes, "tiny_salient_object", [image], outputs, initializer=[weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def write_text_to_image_pipeline(folder: Path, seed: int = 0) -> Path:
    """Save a Stable Diffusion pipeline with tiny random UNet, VAE and CLIP text encoder, and a character tokenizer."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=16, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16, attention_head_dim=2, norm_num_groups=4,
    )
    # Four blocks give the usual 8x VAE scale factor, so a 640 px image has 80x80 latents.
    vae = AutoencoderKL(
        block_out_channels=(8, 8, 8, 8), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=1,
    )
    tokenizer = _character_tokenizer(CLIPTokenizer)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, max_position_embeddings=77, projection_dim=16,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    ))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipeline = StableDiffusionPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipeline.save_pretrained(folder / "pipeline")
    return folder / "pipeline"


def _character_tokenizer(tokenizer_class):
    """Return a CLIP tokenizer whose vocabulary is the printable ASCII characters, without merges."""
    characters = [chr(code) for code in range(33, 127)]
    tokens = ["<|startoftext|>", "<|endoftext|>"] + characters + [character + "</w>" for character in characters]
    return tokenizer_class(vocab={token: index for index, token in enumerate(tokens)}, merges=[], model_max_length=77)
