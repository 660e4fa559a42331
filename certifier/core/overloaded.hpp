// The `overloaded` idiom for std::visit over the layer variants.
#pragma once

namespace nncert {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace nncert
