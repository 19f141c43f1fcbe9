//! Models chosen by name or by value (`ModelSpec`): the same streams either way, the
//! values' settings checked, the level applied to the values that have one.

use kraft::model::{Cm, Grid, Iid, Mixture, Segment};
use kraft::{Error, ModelSpec, Options};

fn text() -> Vec<u8> {
    (0..3000u32)
        .map(|i| format!("line {} of {}\n", i % 97, i % 13))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn a_value_codes_exactly_as_its_name_and_level() {
    let data = text();
    let pairs = [
        (
            Options::new().model("cm").level(9),
            Options::new().model(Cm::new(9)),
        ),
        (
            Options::new().model("cm").level(2),
            Options::new().model(Cm::new(7)).level(2),
        ),
        (Options::new().model("iid"), Options::new().model(Iid)),
        (
            Options::new().model("mixture"),
            Options::new().model(Mixture::new()),
        ),
        (
            Options::new().model("grid").level(3),
            Options::new().model(Grid::new(3)),
        ),
    ];
    for (named, typed) in pairs {
        assert_eq!(named.get_model(), typed.get_model());
        assert_eq!(
            named.get_level(),
            typed.get_level(),
            "{}",
            named.get_model()
        );
        let a = kraft::compress(&data, &named).unwrap();
        let b = kraft::compress(&data, &typed).unwrap();
        assert_eq!(a, b, "{}", named.get_model());
        assert_eq!(kraft::decompress(&b).unwrap(), data);
    }
}

#[test]
fn a_mixture_value_carries_its_settings() {
    let data = text();
    let fixed = Mixture::new()
        .segment(Segment::Fixed(64))
        .components(Some(3))
        .bits_back(false);
    let a = kraft::compress(&data, &Options::new().model(fixed.clone())).unwrap();
    let b = kraft::compress(&data, &Options::new().model(Mixture::new())).unwrap();
    assert_ne!(a, b, "the settings change the stream");
    assert_eq!(kraft::decompress(&a).unwrap(), data);
    // The level does not touch a mixture's settings.
    let o = Options::new().model(fixed.clone()).level(2);
    assert_eq!(o.get_model_spec(), &ModelSpec::Mixture(fixed));
}

#[test]
fn out_of_range_settings_are_refused_before_coding() {
    let bad = [
        Options::new().model(Mixture::new().components(Some(17))),
        Options::new().model(Mixture::new().components(Some(0))),
        Options::new().model(Mixture::new().segment(Segment::Fixed(0))),
        Options::new().model(Mixture::new().segment(Segment::Fixed((1 << 16) + 1))),
        Options::new().model(Grid::new(6).width(Some(0))),
    ];
    for o in bad {
        assert!(
            matches!(o.validate(), Err(Error::InvalidOption(_))),
            "{o:?}"
        );
        let err = kraft::compress(b"some data", &o).unwrap_err();
        assert!(matches!(err, Error::InvalidOption(_)), "{err}");
    }
    let err = kraft::compress(b"x", &Options::new().model("lzma")).unwrap_err();
    assert!(
        matches!(err, Error::UnknownModelName(ref n) if n == "lzma"),
        "{err}"
    );
}

#[test]
fn the_level_reaches_a_value_and_keeps_its_other_settings() {
    let o = Options::new().model(Grid::new(6).width(Some(24))).level(2);
    assert_eq!(o.get_level(), 2);
    assert_eq!(
        o.get_model_spec(),
        &ModelSpec::Grid(Grid::new(2).width(Some(24)))
    );
    let o = Options::new().model(Cm::new(6)).level(9);
    assert_eq!(o.get_model_spec(), &ModelSpec::Cm(Cm::new(9)));
    // A raw grid's width changes what is coded: 24 pixels a row against PBM parsing.
    let raw: Vec<u8> = (0..3 * 400)
        .map(|i| if (i / 3) % 2 == 0 { 0xf0 } else { 0x0f })
        .collect();
    let packed = kraft::compress(&raw, &o.clone().model(Grid::new(6).width(Some(24)))).unwrap();
    assert_eq!(kraft::decompress(&packed).unwrap(), raw);
}

#[test]
fn a_value_built_outside_options_is_checked_when_it_codes() {
    // compress_with and Encoder::with_model take a model as it is: a mixture value out
    // of range is refused when it fits a block, before a stream could carry it.
    for bad in [
        Mixture::new().components(Some(0)),
        Mixture::new().components(Some(17)),
        Mixture::new().segment(Segment::Fixed(0)),
    ] {
        let err = kraft::compress_with(&text(), &Options::new(), &bad).unwrap_err();
        assert!(matches!(err, Error::InvalidOption(_)), "{bad:?}: {err}");
        assert!(kraft::model::Model::fit_memory(&bad, 1 << 20) > 0);
    }
}

#[test]
fn with_a_prior_the_level_is_the_values_and_settings_are_the_priors() {
    let samples: Vec<Vec<u8>> = (0..200)
        .map(|i| format!("{{\"id\": {i}, \"name\": \"user{i}\"}}").into_bytes())
        .collect();
    let prior = kraft::Prior::train(&samples, &Options::new().level(6)).unwrap();
    let record = b"{\"id\": 5000, \"name\": \"user5000\"}";
    // A cm value after the prior: its level codes, and the header says so.
    let o = Options::new().prior(&prior).model(Cm::new(2));
    assert_eq!(o.get_level(), 2);
    let packed = kraft::compress(record, &o.clone().compact(false)).unwrap();
    let header = kraft::format::Header::read_from(&mut &packed[..])
        .unwrap()
        .unwrap();
    assert_eq!(header.level, 2);
    let mut out = Vec::new();
    kraft::Decoder::new(&packed[..])
        .prior(&prior)
        .read_all(&mut out)
        .unwrap();
    assert_eq!(out, record);
    // A mixture value carries settings a prior would override: refused.
    let o = Options::new()
        .prior(&prior)
        .model(Mixture::new().components(Some(2)));
    assert!(matches!(
        kraft::compress(record, &o),
        Err(Error::InvalidOption(_))
    ));
}
