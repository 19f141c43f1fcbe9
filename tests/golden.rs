//! Golden files: streams written by each format version decode forever, and the exact
//! bytes written today are pinned.

const TEXT: &[u8] = include_bytes!("golden/v1-iid.txt");
const V1_IID: &[u8] = include_bytes!("golden/v1-iid.kft");

#[test]
fn golden_v1_decodes() {
    assert_eq!(kraft::decompress(V1_IID).unwrap(), TEXT);
    let info = kraft::inspect(V1_IID).unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].header.model, 1);
    assert_eq!(info[0].content_size, TEXT.len() as u64);
    assert_eq!(info[0].compressed_bytes, V1_IID.len() as u64);
}

#[test]
fn golden_v1_bytes_are_stable() {
    let options = kraft::Options::new().model("iid").level(6);
    assert_eq!(kraft::compress(TEXT, &options).unwrap(), V1_IID);
}
