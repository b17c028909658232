use proc_macro::TokenStream;
#[proc_macro]
pub fn generate(_i: TokenStream) -> TokenStream { TokenStream::new() }
