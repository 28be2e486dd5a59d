#include "attnlab/task/task.hpp"

namespace attnlab {

const NamedChoices<ModelShape>& model_shape_names() {
  static const NamedChoices<ModelShape> names{{"encoder", ModelShape::encoder},
                                              {"decoder", ModelShape::decoder},
                                              {"encoder_decoder", ModelShape::encoder_decoder}};
  return names;
}

std::string to_string(ModelShape shape) {
  return model_shape_names().name(shape);
}

}  // namespace attnlab
